/**
 * The studio's one request-size limit. adapter-node refuses bodies over `BODY_SIZE_LIMIT` (512 KiB
 * unless set) while they are read, which surfaced as a generic error; the hooks refuse a declared
 * `content-length` over the same number before anything reads the body, with a coded 413, and the
 * error handler words a streamed body that runs over it the same way.
 */
export const MAX_REQUEST_BYTES = 512 * 1024;
