#include "dd_isal.h"
#include <stdlib.h>

#ifdef DD_HAVE_ISAL
#include <isa-l/igzip_lib.h>

int dd_isal_available(void) { return 1; }

void *dd_isal_new(void) {
    struct inflate_state *s = malloc(sizeof(struct inflate_state));
    if (s == NULL) return NULL;
    dd_isal_reset(s);
    return s;
}

void dd_isal_free(void *state) { free(state); }

void dd_isal_reset(void *state) {
    struct inflate_state *s = state;
    isal_inflate_init(s);
    s->crc_flag = ISAL_GZIP;
}

int dd_isal_inflate(void *state, const uint8_t **next_in, uint32_t *avail_in, uint8_t **next_out, uint32_t *avail_out) {
    struct inflate_state *s = state;
    s->next_in = (uint8_t *)*next_in;
    s->avail_in = *avail_in;
    s->next_out = *next_out;
    s->avail_out = *avail_out;
    int status = isal_inflate(s);
    *next_in = s->next_in;
    *avail_in = s->avail_in;
    *next_out = s->next_out;
    *avail_out = s->avail_out;
    if (status < 0) return status;
    return s->block_state == ISAL_BLOCK_FINISH ? 1 : 0;
}
#else
int dd_isal_available(void) { return 0; }
void *dd_isal_new(void) { return NULL; }
void dd_isal_free(void *state) { (void)state; }
void dd_isal_reset(void *state) { (void)state; }
int dd_isal_inflate(void *state, const uint8_t **next_in, uint32_t *avail_in, uint8_t **next_out, uint32_t *avail_out) {
    (void)state; (void)next_in; (void)avail_in; (void)next_out; (void)avail_out;
    return -100;
}
#endif
