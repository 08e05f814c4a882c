/* scene_images.c - a photo before and after its blur, one scene per photo.
 *
 * The blurred version wipes across the sharp one from left to right, with
 * an accent line at the seam: the eye follows the line and sees exactly
 * what the blur changed. If the run log has the photo's "blur" span, the
 * subtitle says how long it took and which style did it.
 *
 * Both photos are scaled to their on-screen size once, when they are added
 * (scene_images_photo), so the show keeps two small canvases per photo and
 * a frame costs two row copies, not a resize.
 */
#include <stdio.h>
#include <string.h>

#include "path.h"
#include "scene.h"

int scene_images_photo(const struct show *s, const char *name, const struct img *before,
                       const struct img *after, struct show_photo *photo, struct err *err)
{
    memset(photo, 0, sizeof *photo);
    if (before->width <= 0 || before->height <= 0)
        return err_set(err, "empty image");
    int bx, by, bw, bh;
    theme_body(s, &bx, &by, &bw, &bh);
    /* Fit inside the box keeping the aspect ratio; never enlarge past 2x, a
     * tiny photo blown up to full screen is all blocks. */
    double scale = (double)bw / before->width;
    if ((double)bh / before->height < scale)
        scale = (double)bh / before->height;
    if (scale > 2.0)
        scale = 2.0;
    int w = (int)(before->width * scale), h = (int)(before->height * scale);
    if (w < 1)
        w = 1;
    if (h < 1)
        h = 1;

    snprintf(photo->name, sizeof photo->name, "%s", name);
    photo->src_width = before->width;
    photo->src_height = before->height;
    if (canvas_init(&photo->before, w, h, err) != 0 || canvas_init(&photo->after, w, h, err) != 0)
        goto fail;
    /* Transparent photos are shown over the panel colour. */
    canvas_fill(&photo->before, theme_panel);
    canvas_fill(&photo->after, theme_panel);
    if (canvas_blit_img(&photo->before, before, 0, 0, w, h, err) != 0 ||
        canvas_blit_img(&photo->after, after, 0, 0, w, h, err) != 0)
        goto fail;
    return 0;
fail:
    canvas_free(&photo->before);
    canvas_free(&photo->after);
    return -1;
}

/* Top-left corner of the photo, centred in its box. */
static void photo_origin(const struct show *s, const struct show_photo *p, int *x, int *y)
{
    int bx, by, bw, bh;
    theme_body(s, &bx, &by, &bw, &bh);
    *x = bx + (bw - p->before.width) / 2;
    *y = by + (bh - p->before.height) / 2;
}

/* A small label on a dark translucent plate, so it reads on any photo. */
static void tag(struct show *s, struct canvas *c, int x, int y, enum canvas_align align,
                const char *text)
{
    int px = theme_u(s, 20), pad = theme_u(s, 8);
    int w = font_text_width(s->bold, px, text) + 2 * pad;
    if (align == CANVAS_RIGHT)
        x -= w;
    canvas_blend(c, x, y, w, px + 2 * pad, theme_bg, 190);
    canvas_text(c, s->bold, px, x + pad, y + pad, theme_text, text);
}

static int images_layer(struct show *s, const struct scene *sc, struct canvas *c, struct err *err)
{
    (void)err;
    const struct show_photo *p = &s->photos[sc->arg];
    char sub[256];
    int n = snprintf(sub, sizeof sub, "%dx%d", p->src_width, p->src_height);
    /* The photo's blur span, if the log has one: the first that matches. */
    for (size_t i = 0; i < s->nspans; i++) {
        const struct runlog_span *sp = &s->spans[i];
        if (strcmp(sp->phase, "blur") == 0 &&
            strcmp(path_base_name(sp->item), path_base_name(p->name)) == 0) {
            char secs[32];
            theme_seconds(secs, sizeof secs, (double)(sp->end_ns - sp->start_ns) / 1e9);
            snprintf(sub + n, sizeof sub - (size_t)n, "  \u00b7  blurred in %s by %s", secs,
                     sp->style);
            break;
        }
    }
    theme_heading(s, c, path_base_name(p->name), sub);
    int x, y;
    photo_origin(s, p, &x, &y);
    canvas_copy(c, &p->before, x, y);
    return 0;
}

static int images_draw(struct show *s, const struct scene *sc, double t, struct canvas *out,
                       struct err *err)
{
    (void)err;
    const struct show_photo *p = &s->photos[sc->arg];
    int x, y;
    photo_origin(s, p, &x, &y);
    int w = p->after.width, h = p->after.height;
    /* Hold the sharp photo for a moment, wipe, then hold the blurred one. */
    double hold = sc->duration * 0.15;
    double f = theme_ease((t - hold) / (sc->duration - 3 * hold));
    int split = (int)(w * f);
    canvas_copy_region(out, &p->after, 0, 0, split, h, x, y);
    if (split > 0 && split < w)
        canvas_rect(out, x + split - theme_u(s, 2), y, theme_u(s, 4), h, theme_accent);

    int m = theme_u(s, 12);
    /* Each tag shows while its side of the seam is wide enough to hold it. */
    if (split < w - theme_u(s, 120))
        tag(s, out, x + w - m, y + m, CANVAS_RIGHT, "before");
    if (split > theme_u(s, 120))
        tag(s, out, x + m, y + m, CANVAS_LEFT, "after");
    return 0;
}

const struct scene_ops scene_images = {"images", images_layer, images_draw};
