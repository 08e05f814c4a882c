/* grade_card.c - the grade card: one line per check, as text; see grade.h.
 *
 * The card is read by a participant in a terminal and by a whole audience on
 * stream, so it is plain text with one mark per line (✓ ✗ · -), the check's
 * name in a column, and a sentence that says what was found - for a failure,
 * the message of the first failed assertion, which names the image, the
 * pixel and the two values. Colour is an extra for terminals, never the only
 * way a result is shown.
 */
#include "grade.h"

#include <stdarg.h>
#include <string.h>

#define WRAP 100  /* columns; long lines wrap under their text */
#define INDENT 16 /* "  ✓ concurrent  " */

static const char *const pass_text[CHECK_COUNT] = {
    [CHECK_CORRECT] = "every result matches the reference",
    [CHECK_ERRORS] = "bad input is reported, and the rest still works",
    [CHECK_CONCURRENT] = "the run log shows work overlapping on distinct workers",
    [CHECK_WORKERS] = "never more workers than asked for",
    [CHECK_ORDER] = "results complete in order of readiness, not of the list",
};

void grade_card_add(struct grade_card *card, enum exercise_check check, enum grade_mark mark,
                    const char *fmt, ...)
{
    if (card->count == CHECK_COUNT)
        return;
    struct grade_line *l = &card->lines[card->count++];
    l->check = check;
    l->mark = mark;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->text, sizeof l->text, fmt, ap);
    va_end(ap);
}

void grade_card_add_suite(struct grade_card *card, enum exercise_check check,
                          const struct grade_suite *s, int timeout_s)
{
    if (s == NULL || s->tests == 0)
        grade_card_add(card, check, GRADE_FAIL,
                       "no tests ran for this check: is suite '%s' in tests/exercises/%s.c?",
                       exercises_check_name(check), card->ex->id);
    else if (s->timed_out > 0)
        grade_card_add(card, check, GRADE_FAIL,
                       "no result after %d s: a deadlock or an endless loop? (test %s)", timeout_s,
                       s->failing_test);
    else if (s->crashed > 0)
        grade_card_add(card, check, GRADE_FAIL,
                       "test %s crashed (a bad pointer? an abort?); `make exercise %d` again "
                       "and read the memory line",
                       s->failing_test, card->ex->number);
    else if (s->failed > 0 || s->errored > 0)
        grade_card_add(card, check, GRADE_FAIL, "%s: %s", s->failing_test,
                       s->message[0] != '\0' ? s->message : "failed, without a message");
    else if (check == CHECK_CORRECT && card->ex->tolerance > 0)
        grade_card_add(card, check, GRADE_PASS, "%s, within %d per sample (%d tests)",
                       pass_text[check], card->ex->tolerance, s->tests);
    else
        grade_card_add(card, check, GRADE_PASS, "%s (%d test%s)",
                       pass_text[check] != NULL ? pass_text[check] : "passed", s->tests,
                       s->tests == 1 ? "" : "s");
}

void grade_speed_text(char *buf, size_t cap, double linear_s, double yours_s, double solution_s,
                      int cores, int items, const char *noun)
{
    int n = snprintf(
        buf, cap, "%.2fx the speed of linear on %d core%s (linear %.2f s, yours %.2f s, %d %s)",
        linear_s / yours_s, cores, cores == 1 ? "" : "s", linear_s, yours_s, items, noun);
    if (solution_s <= 0 || n < 0 || (size_t)n >= cap)
        return;
    buf += n, cap -= (size_t)n;
    /* Against the reference, the question is the participant's: is mine as
     * good as it should be? Linear alone cannot say, on a busy machine. */
    double ratio = yours_s / solution_s;
    if (ratio <= GRADE_ON_PAR && ratio >= 1 / GRADE_ON_PAR)
        snprintf(buf, cap, "; on par with the reference solution (%.2f s, within %.1fx)",
                 solution_s, GRADE_ON_PAR);
    else if (ratio < 1)
        snprintf(buf, cap, "; %.2fx faster than the reference solution (%.2f s)", 1 / ratio,
                 solution_s);
    else
        snprintf(buf, cap, "; the reference solution took %.2f s: yours takes %.2fx its time",
                 solution_s, ratio);
}

int grade_card_failures(const struct grade_card *card)
{
    int n = card->build_error[0] != '\0';
    for (size_t i = 0; i < card->count; i++)
        n += card->lines[i].mark == GRADE_FAIL;
    return n;
}

/* Where text names a line of file (its base name, then ':' and a digit), or
 * NULL: "read in worker() at pool.c:26" names pool.c:26. */
static const char *names_line(const char *text, const char *file)
{
    const char *slash = strrchr(file, '/');
    const char *base = slash ? slash + 1 : file;
    size_t n = strlen(base);
    if (n == 0)
        return NULL;
    for (const char *p = strstr(text, base); p != NULL; p = strstr(p + 1, base)) {
        int starts = p == text || strchr(" (/\t'\"", p[-1]) != NULL;
        if (starts && p[n] == ':' && p[n + 1] >= '0' && p[n + 1] <= '9')
            return p;
    }
    return NULL;
}

enum exercise_check grade_card_next(const struct grade_card *card, char *buf, size_t cap)
{
    const struct grade_line *first = NULL;
    for (size_t i = 0; i < card->count && first == NULL; i++)
        if (card->lines[i].mark == GRADE_FAIL)
            first = &card->lines[i];
    if (first == NULL) {
        snprintf(buf, cap, "`make progress` shows what comes next");
        return CHECK_COUNT;
    }
    /* A sanitizer that names the participant's own line has found a cause,
     * not a symptom: a race or a freed pointer makes results wrong as well. */
    for (size_t i = 0; i < card->count; i++) {
        const struct grade_line *l = &card->lines[i];
        if (l->mark != GRADE_FAIL || (l->check != CHECK_RACES && l->check != CHECK_MEMORY))
            continue;
        const char *at = names_line(l->text, card->source);
        if (at == NULL)
            continue;
        int len = (int)strcspn(at, " ),;");
        if (l == first)
            snprintf(buf, cap, "fix '%s' first: it names %.*s", exercises_check_name(l->check), len,
                     at);
        else
            snprintf(buf, cap, "fix '%s' first: it names %.*s, likely the cause of '%s' too",
                     exercises_check_name(l->check), len, at, exercises_check_name(first->check));
        return l->check;
    }
    snprintf(buf, cap, "fix '%s' first (it is the first one)", exercises_check_name(first->check));
    return first->check;
}

/* Prints text wrapped at WRAP columns, continuation lines indented. Counts
 * bytes, not characters: close enough for the mostly ASCII messages. */
static void print_wrapped(FILE *out, const char *text)
{
    size_t width = WRAP - INDENT, col = 0;
    while (*text != '\0') {
        size_t word = strcspn(text, " ");
        if (col > 0 && col + 1 + word > width) {
            fprintf(out, "\n%*s", INDENT, "");
            col = 0;
        } else if (col > 0) {
            fputc(' ', out);
            col++;
        }
        fwrite(text, 1, word, out);
        col += word;
        text += word;
        text += strspn(text, " ");
    }
    fputc('\n', out);
}

void grade_card_print(FILE *out, const struct grade_card *card, int colour)
{
    static const char *const mark[] = {"✓", "✗", "·", "-"};
    static const char *const tint[] = {"\033[32m", "\033[31m", "\033[36m", "\033[2m"};
    const char *bold = colour ? "\033[1m" : "", *reset = colour ? "\033[0m" : "";

    fprintf(out, "\n%sexercise %02d %s%s  %s%s\n", bold, card->ex->number, card->ex->name,
            card->reference ? " (reference solution)" : "", card->source, reset);
    if (card->build_error[0] != '\0') {
        /* Compiler output as it is: its caret lines up with the code above it. */
        fprintf(out, "  %s✗%s %-11s ", colour ? tint[GRADE_FAIL] : "", reset, "builds");
        for (const char *l = card->build_error; *l != '\0';) {
            size_t n = strcspn(l, "\n");
            fprintf(out, "%s%.*s\n", l == card->build_error ? "" : "    ", (int)n, l);
            l += n + (l[n] == '\n');
        }
    }
    for (size_t i = 0; i < card->count; i++) {
        const struct grade_line *l = &card->lines[i];
        fprintf(out, "  %s%s%s %-11s ", colour ? tint[l->mark] : "", mark[l->mark], reset,
                exercises_check_name(l->check));
        print_wrapped(out, l->text);
    }
    fprintf(out, "\n  ✓ passed  ✗ failed  · information only  - not run\n");
    if (card->runlog[0] != '\0')
        fprintf(out, "  run log: %s\n", card->runlog);
    if (card->trace[0] != '\0')
        fprintf(out, "  trace:   %s (open it in ui.perfetto.dev)\n", card->trace);

    int failures = grade_card_failures(card), verdicts = 0, passes = 0;
    for (size_t i = 0; i < card->count; i++) {
        /* A check not run is one not passed; but speedup is information,
         * a verdict only when its run failed. */
        verdicts += card->lines[i].check != CHECK_SPEEDUP || card->lines[i].mark == GRADE_FAIL;
        passes += card->lines[i].mark == GRADE_PASS;
    }
    char next[GRADE_TEXT_MAX];
    grade_card_next(card, next, sizeof next);
    const char *again = card->reference ? "make solution" : "make exercise";
    if (card->build_error[0] != '\0')
        fprintf(out, "%s✗ does not compile.%s Fix the first error above, then `%s %d`.\n", bold,
                reset, again, card->ex->number);
    else if (failures > 0)
        fprintf(out, "%s%d of %d checks pass.%s Next: %s; `make hint %d` if you are stuck.\n", bold,
                passes, verdicts, reset, next, card->ex->number);
    else
        fprintf(out, "%s✓ all %d checks pass.%s Next: `make progress` shows what comes next.\n",
                bold, verdicts, reset);
}
