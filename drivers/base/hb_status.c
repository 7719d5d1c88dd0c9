#include "hb_status.h"

const char *hb_strerror(enum hb_status st)
{
	switch (st) {
	case HB_OK: return "success";
	case HB_ERR: return "error";
	case HB_ERR_ARG: return "invalid argument";
	case HB_ERR_NOMEM: return "out of memory";
	case HB_ERR_IO: return "input/output error";
	case HB_ERR_TIMEOUT: return "timeout";
	case HB_ERR_NOTFOUND: return "not found";
	case HB_ERR_PERM: return "permission denied";
	case HB_ERR_BUSY: return "device busy";
	case HB_ERR_GONE: return "device vanished";
	case HB_ERR_FORMAT: return "malformed data";
	case HB_ERR_CRC: return "integrity check failed";
	case HB_ERR_PROTO: return "protocol error";
	case HB_ERR_UNSUPPORTED: return "not supported";
	case HB_ERR_RANGE: return "value out of range";
	case HB_ERR_MISMATCH: return "mismatch";
	case HB_ERR_INTERRUPTED: return "interrupted";
	case HB_ERR_NACK: return "not acknowledged";
	}
	return "unknown status";
}

int hb_input_error(enum hb_status st)
{
	switch (st) {
	case HB_ERR_ARG:
	case HB_ERR_NOTFOUND:
	case HB_ERR_PERM:
	case HB_ERR_FORMAT:
	case HB_ERR_CRC:
	case HB_ERR_RANGE:
		return 1;
	default:
		return 0;
	}
}
