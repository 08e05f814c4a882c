/* fuzz_fault.c - libFuzzer target: the comic server's fault SPECs.
 *
 * comicsrv_fault_parse reads `retreat serve --fault SPEC` and the ?fault=
 * query of any URL the server is asked for, so anyone who can reach the
 * server chooses its input. A parsed fault must be a known kind with its
 * parameters inside the ranges comicsrv.h documents, and its name must parse
 * back to the same kind.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "comicsrv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *spec = malloc(size + 1);
    if (spec == NULL)
        return 0;
    memcpy(spec, data, size);
    spec[size] = '\0';
    struct comicsrv_fault f;
    struct err err = {0};
    if (comicsrv_fault_parse(spec, &f, &err) == 0) {
        if (f.kind <= COMICSRV_FAULT_NONE || f.kind > COMICSRV_FAULT_TYPE ||
            f.every > COMICSRV_MAX_COUNT || f.n > 100000)
            abort();
        struct comicsrv_fault again;
        if (comicsrv_fault_parse(comicsrv_fault_name(f.kind), &again, &err) != 0 ||
            again.kind != f.kind)
            abort();
    } else if (err.msg[0] == '\0') {
        abort();
    }
    free(spec);
    return 0;
}
