/* feed.c - the newest entry of an RSS 2.0 or Atom feed, parsed safely; see feed.h.
 *
 * libxml2 builds a tree of the feed; we walk the few elements we need. The
 * safety comes from what we do *not* let libxml2 do: fetch anything
 * (XML_PARSE_NONET, and no DTD loading), substitute entities (no
 * XML_PARSE_NOENT), or even see an entity declaration: our entityDecl SAX
 * callback stops the parser at the first one, so a "billion laughs" feed is
 * refused after reading a few hundred bytes instead of being expanded.
 */
#include "feed.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/uri.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define ATOM_NS "http://www.w3.org/2005/Atom"

int feed_is_http_url(const char *url)
{
    size_t skip = strncasecmp(url, "http://", 7) == 0    ? 7
                  : strncasecmp(url, "https://", 8) == 0 ? 8
                                                         : 0;
    return skip > 0 && url[skip] != '\0' && url[skip] != '/';
}

/* libxml2 must be initialised once before threads use it; fetch styles
 * parse feeds from many threads at once. */
static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
    xmlInitParser();
}

/* The SAX callback for <!ENTITY ...>: refuse the document there and then. */
static void refuse_entity(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                          const xmlChar *system_id, xmlChar *content)
{
    xmlParserCtxtPtr ctxt = ctx;
    (void)name, (void)type, (void)public_id, (void)system_id, (void)content;
    *(int *)ctxt->_private = 1;
    xmlStopParser(ctxt);
}

/* --- Reading elements ---------------------------------------------------- */

/* 1 if node is an element called name, in the Atom namespace if atom. */
static int is(const xmlNode *node, const char *name, int atom)
{
    if (node->type != XML_ELEMENT_NODE || strcmp((const char *)node->name, name) != 0)
        return 0;
    if (atom)
        return node->ns != NULL && node->ns->href != NULL && /* NULL if libxml2 ran out of memory */
               strcmp((const char *)node->ns->href, ATOM_NS) == 0;
    return node->ns == NULL;
}

static const xmlNode *child(const xmlNode *parent, const char *name, int atom)
{
    for (const xmlNode *c = parent->children; c != NULL; c = c->next)
        if (is(c, name, atom))
            return c;
    return NULL;
}

/* Copies a string trimmed of surrounding white space, with control characters
 * (a terminal escape sequence in a hostile title) turned into spaces, cut to
 * fit. Returns -1 if it had to be cut: a title may be shortened, but a link
 * cut short is another link, so links are refused instead (see resolve). */
static int copy_clean(char *dst, size_t size, const char *src)
{
    while (*src == ' ' || *src == '\t' || *src == '\n' || *src == '\r')
        src++;
    size_t n = strlen(src);
    while (n > 0 &&
           (src[n - 1] == ' ' || src[n - 1] == '\t' || src[n - 1] == '\n' || src[n - 1] == '\r'))
        n--;
    int cut = n >= size;
    if (cut)
        n = size - 1;
    for (size_t k = 0; k < n; k++)
        dst[k] = (unsigned char)src[k] < 0x20 || src[k] == 0x7f ? ' ' : src[k];
    dst[n] = '\0';
    return cut ? -1 : 0;
}

/* The text of a child element, cleaned, or "" if it is absent. Returns -1
 * if it did not fit in size bytes (dst then holds the cut text). */
static int child_text(const xmlNode *parent, const char *name, int atom, char *dst, size_t size)
{
    const xmlNode *c = child(parent, name, atom);
    xmlChar *text = c != NULL ? xmlNodeGetContent(c) : NULL;
    int rc = copy_clean(dst, size, text != NULL ? (const char *)text : "");
    xmlFree(text);
    return rc;
}

enum { LINK_OK = 0, LINK_NOT_HTTP = -1, LINK_TOO_LONG = -2 };

/* Resolves href against the node's base (xml:base, else the feed's URL) into
 * dst. Returns LINK_TOO_LONG if href or the result does not fit (a link is
 * never cut: cut, it would be another page), LINK_NOT_HTTP if the result is
 * not an http(s) URL. */
static int resolve(const xmlNode *node, const char *href, char *dst, size_t size)
{
    char clean[FEED_URL_MAX];
    if (copy_clean(clean, sizeof clean, href) != 0)
        return LINK_TOO_LONG;
    xmlChar *base = xmlNodeGetBase(node->doc, node);
    xmlChar *abs = xmlBuildURI((const xmlChar *)clean, base);
    int rc = abs == NULL                         ? LINK_NOT_HTTP
             : strlen((const char *)abs) >= size ? LINK_TOO_LONG
             : !feed_is_http_url((const char *)abs) || strpbrk((const char *)abs, " \t\r\n") != NULL
                 ? LINK_NOT_HTTP
                 : LINK_OK;
    if (rc == LINK_OK)
        strcpy(dst, (const char *)abs);
    xmlFree(abs);
    xmlFree(base);
    return rc;
}

/* The error for an entry's link that resolve refused, or for one too long
 * to read (rc LINK_TOO_LONG); what is "item" or "entry". */
static int link_error(struct err *err, const char *url, const char *what, const char *href, int rc)
{
    if (rc == LINK_TOO_LONG) /* href may be cut already: its length would mislead */
        return err_set(err,
                       "%s: the newest %s's link is over the limit of %d characters: not kept "
                       "('%.100s...')",
                       url, what, FEED_URL_MAX - 1, href);
    return err_set(err, "%s: the newest %s's link '%.200s' is not an http(s) URL", url, what, href);
}

/* --- Dates --------------------------------------------------------------- */

/* Seconds since 1970 of an RSS (RFC 822) or Atom (RFC 3339) date; -1 if the
 * text is not one. */
static long long parse_date(const char *text)
{
    static const char *const formats[] = {
        "%a, %d %b %Y %H:%M:%S", "%d %b %Y %H:%M:%S", /* RFC 822, with or without the day */
        "%a, %d %b %Y %H:%M",    "%d %b %Y %H:%M",    /* seconds are optional too */
        "%Y-%m-%dT%H:%M:%S",                          /* RFC 3339 */
    };
    for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
        struct tm tm = {0};
        const char *rest = strptime(text, formats[f], &tm);
        if (rest == NULL)
            continue;
        if (*rest == '.') /* fractions of a second */
            for (rest++; *rest >= '0' && *rest <= '9'; rest++)
                ;
        while (*rest == ' ')
            rest++;
        long offset = 0; /* seconds east of UTC */
        int sign = 0, hh = 0, mm = 0;
        if (*rest == '+' || *rest == '-') {
            sign = *rest == '-' ? -1 : 1;
            if (sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2 &&
                sscanf(rest + 1, "%2d%2d", &hh, &mm) != 2)
                continue;
            offset = sign * (hh * 3600L + mm * 60L);
        } else if (*rest != '\0' && *rest != 'Z' && strcmp(rest, "GMT") != 0 &&
                   strcmp(rest, "UT") != 0 && strcmp(rest, "UTC") != 0) {
            continue; /* a named US zone or junk: treat as undated */
        }
        return (long long)timegm(&tm) - offset;
    }
    return -1;
}

/* --- RSS and Atom entries ------------------------------------------------ */

struct candidate {
    const xmlNode *node;
    long long date; /* -1: none */
};

/* Fills out from an RSS <item>. */
static int read_rss_item(const xmlNode *item, struct feed_entry *out, const char *url,
                         struct err *err)
{
    char link[FEED_URL_MAX];
    int too_long = 0;
    child_text(item, "title", 0, out->title, sizeof out->title);
    too_long = child_text(item, "link", 0, link, sizeof link) != 0;
    if (child_text(item, "guid", 0, out->id, sizeof out->id) != 0) {
        too_long |= link[0] == '\0'; /* it stood in for the link */
        out->id[0] = '\0';           /* an id cut short is another id: use the link */
    }
    if (link[0] == '\0' && !too_long) /* a guid can stand in for the link, if it is one */
        snprintf(link, sizeof link, "%s", out->id);
    if (link[0] == '\0' && !too_long)
        return err_set(err, "%s: the newest item has no <link>", url);
    int rc = too_long ? LINK_TOO_LONG : resolve(item, link, out->link, sizeof out->link);
    if (rc != LINK_OK) {
        out->link[0] = '\0';
        return link_error(err, url, "item", link, rc);
    }
    /* The first enclosure that is an image (or does not say) and resolves. */
    for (const xmlNode *c = item->children; c != NULL && out->image[0] == '\0'; c = c->next) {
        if (!is(c, "enclosure", 0))
            continue;
        xmlChar *type = xmlGetProp(c, (const xmlChar *)"type");
        xmlChar *href = xmlGetProp(c, (const xmlChar *)"url");
        if (href != NULL && (type == NULL || strncmp((const char *)type, "image/", 6) == 0) &&
            resolve(c, (const char *)href, out->image, sizeof out->image) != LINK_OK)
            out->image[0] = '\0'; /* an unusable image is no image */
        xmlFree(type);
        xmlFree(href);
    }
    return 0;
}

/* Fills out from an Atom <entry>. */
static int read_atom_entry(const xmlNode *entry, struct feed_entry *out, const char *url,
                           struct err *err)
{
    int bad_link = 0;
    child_text(entry, "title", 1, out->title, sizeof out->title);
    if (child_text(entry, "id", 1, out->id, sizeof out->id) != 0)
        out->id[0] = '\0'; /* an id cut short is another id: use the link */
    for (const xmlNode *c = entry->children; c != NULL; c = c->next) {
        if (!is(c, "link", 1))
            continue;
        xmlChar *rel = xmlGetProp(c, (const xmlChar *)"rel");
        xmlChar *type = xmlGetProp(c, (const xmlChar *)"type");
        xmlChar *href = xmlGetProp(c, (const xmlChar *)"href");
        const char *r = rel != NULL ? (const char *)rel : "alternate"; /* Atom's default */
        int rc;
        if (href != NULL && strcmp(r, "alternate") == 0 && out->link[0] == '\0' && !bad_link &&
            (rc = resolve(c, (const char *)href, out->link, sizeof out->link)) != LINK_OK)
            bad_link = link_error(err, url, "entry", (const char *)href, rc);
        if (href != NULL && strcmp(r, "enclosure") == 0 && out->image[0] == '\0' &&
            (type == NULL || strncmp((const char *)type, "image/", 6) == 0) &&
            resolve(c, (const char *)href, out->image, sizeof out->image) != LINK_OK)
            out->image[0] = '\0'; /* an unusable image is no image */
        xmlFree(rel);
        xmlFree(type);
        xmlFree(href);
    }
    if (bad_link)
        return -1;
    if (out->link[0] == '\0')
        return err_set(err, "%s: the newest entry has no <link rel=\"alternate\">", url);
    return 0;
}

/* Picks the newest entry: by date where any has one, else the first. */
static const xmlNode *newest(const xmlNode *parent, const char *name, int atom)
{
    struct candidate best = {NULL, -1};
    for (const xmlNode *c = parent->children; c != NULL; c = c->next) {
        if (!is(c, name, atom))
            continue;
        char text[64];
        long long date;
        if (atom) {
            child_text(c, "updated", 1, text, sizeof text);
            if (text[0] == '\0')
                child_text(c, "published", 1, text, sizeof text);
        } else {
            child_text(c, "pubDate", 0, text, sizeof text);
        }
        date = text[0] ? parse_date(text) : -1;
        if (best.node == NULL || date > best.date)
            best = (struct candidate){c, date};
    }
    return best.node;
}

/* --- The parse ----------------------------------------------------------- */

static int read_feed(const xmlDoc *doc, const char *url, struct feed_entry *out, struct err *err)
{
    const xmlNode *root = xmlDocGetRootElement(doc);
    const xmlNode *parent, *entry;
    if (root != NULL && is(root, "rss", 0) && (parent = child(root, "channel", 0)) != NULL) {
        out->format = FEED_RSS;
        child_text(parent, "title", 0, out->feed_title, sizeof out->feed_title);
        if ((entry = newest(parent, "item", 0)) == NULL)
            return err_set(err, "%s: the RSS feed has no items", url);
        return read_rss_item(entry, out, url, err);
    }
    if (root != NULL && is(root, "feed", 1)) {
        out->format = FEED_ATOM;
        child_text(root, "title", 1, out->feed_title, sizeof out->feed_title);
        if ((entry = newest(root, "entry", 1)) == NULL)
            return err_set(err, "%s: the Atom feed has no entries", url);
        return read_atom_entry(entry, out, url, err);
    }
    return err_set(err, "%s: not a feed (expected <rss><channel> or an Atom <feed>, found <%s>)",
                   url, root != NULL ? (const char *)root->name : "nothing");
}

int feed_parse(const char *body, size_t size, const char *url, struct feed_entry *out,
               struct err *err)
{
    memset(out, 0, sizeof *out);
    if (size > FEED_MAX_BYTES)
        return err_set(err, "%s: feed too large (%zu bytes, the limit is %u)", url, size,
                       FEED_MAX_BYTES);
    if (size == 0)
        return err_set(err, "%s: empty feed", url);
    pthread_once(&xml_once, xml_init);

    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (ctxt == NULL)
        return err_set(err, "%s: out of memory", url);
    int declares_entities = 0;
    ctxt->_private = &declares_entities;
    ctxt->sax->entityDecl = refuse_entity;
    /* NONET: no network. No NOENT, DTDLOAD, DTDVALID or HUGE: no entity
     * substitution, no external DTD, libxml2's default size limits. */
    /* libxml2 does not always fail a parse whose allocations failed (a
     * namespace may be left without its URI): its per-thread last error
     * says whether memory ran out, wherever it happened. */
    xmlResetLastError();
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, body, (int)size, url, NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    const xmlError *last = xmlGetLastError();
    int rc;
    if ((last != NULL && last->code == XML_ERR_NO_MEMORY) || ctxt->errNo == XML_ERR_NO_MEMORY) {
        rc = err_set(err, "%s: out of memory while parsing the feed", url);
    } else if (declares_entities) {
        rc = err_set(err, "%s: the feed declares XML entities (refused: entity expansion attack?)",
                     url);
    } else if (doc == NULL || !ctxt->wellFormed) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        char why[256] = "unknown error";
        if (e != NULL && e->message != NULL)
            copy_clean(why, sizeof why, e->message);
        rc = err_set(err, "%s: malformed XML at line %d: %s", url, e ? e->line : 0, why);
    } else {
        rc = read_feed(doc, url, out, err);
    }
    if (rc == 0 && out->id[0] == '\0')
        snprintf(out->id, sizeof out->id, "%s", out->link);
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctxt);
    return rc;
}
