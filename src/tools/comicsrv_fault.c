/* comicsrv_fault.c - the comic server's fault SPECs: "503:n=1", "slow:every=4".
 *
 * One small grammar serves both the --fault option of `retreat serve` and the
 * ?fault= query of a single URL, so a test can break exactly one request and a
 * workshop can break every fifth feed with the same words. See comicsrv.h.
 */
#include "comicsrv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    enum comicsrv_fault_kind kind;
    const char *name;
} fault_names[] = {
    {COMICSRV_FAULT_404, "404"},
    {COMICSRV_FAULT_500, "500"},
    {COMICSRV_FAULT_503, "503"},
    {COMICSRV_FAULT_RESET, "reset"},
    {COMICSRV_FAULT_SLOW, "slow"},
    {COMICSRV_FAULT_TRUNCATE, "truncate"},
    {COMICSRV_FAULT_REDIRECT, "redirect"},
    {COMICSRV_FAULT_LOOP, "loop"},
    {COMICSRV_FAULT_MALFORMED, "malformed"},
    {COMICSRV_FAULT_LAUGHS, "laughs"},
    {COMICSRV_FAULT_HUGE, "huge"},
    {COMICSRV_FAULT_TYPE, "type"},
};

#define NFAULT_NAMES (sizeof fault_names / sizeof fault_names[0])

const char *comicsrv_fault_name(enum comicsrv_fault_kind kind)
{
    for (size_t k = 0; k < NFAULT_NAMES; k++)
        if (fault_names[k].kind == kind)
            return fault_names[k].name;
    return "none";
}

/* Parses the decimal value of "key=value" into *out, 1..limit. */
static int parse_value(const char *spec, const char *value, unsigned limit, unsigned *out,
                       struct err *err)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(value, &end, 10);
    if (end == value || (*end != '\0' && *end != ':') || errno != 0 || v < 1 || v > limit ||
        value[0] == '-')
        return err_set(err, "fault '%s': expected a number from 1 to %u after '='", spec, limit);
    *out = (unsigned)v;
    return 0;
}

int comicsrv_fault_parse(const char *spec, struct comicsrv_fault *f, struct err *err)
{
    memset(f, 0, sizeof *f);
    size_t len = strcspn(spec, ":");
    for (size_t k = 0; k < NFAULT_NAMES; k++)
        if (strlen(fault_names[k].name) == len && strncmp(spec, fault_names[k].name, len) == 0)
            f->kind = fault_names[k].kind;
    if (f->kind == COMICSRV_FAULT_NONE)
        return err_set(err,
                       "fault '%s': unknown kind (expected 404, 500, 503, reset, slow, truncate, "
                       "redirect, loop, malformed, laughs, huge or type)",
                       spec);

    /* Then any number of ":n=N" and ":every=N", in any order. */
    for (const char *p = spec + len; *p == ':'; p += strcspn(p + 1, ":") + 1) {
        const char *key = p + 1;
        if (strncmp(key, "n=", 2) == 0) {
            if (parse_value(spec, key + 2, 100000, &f->n, err) != 0)
                return -1;
        } else if (strncmp(key, "every=", 6) == 0) {
            if (parse_value(spec, key + 6, COMICSRV_MAX_COUNT, &f->every, err) != 0)
                return -1;
        } else {
            return err_set(err, "fault '%s': unknown parameter (expected n=N or every=N)", spec);
        }
    }
    return 0;
}
