/* pxp.h: PXP 1.0 data shapes (pxp.md §1, §2, §4): the request check and
 * the reply builders. Pure: no I/O, no logging, no globals. */
#ifndef PXPD_PXP_H
#define PXPD_PXP_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "pcp/codec.h"

#define PXP_BLOCKING_REQUEST      PCP_NS "rpc_blocking_request"
#define PXP_BLOCKING_RESPONSE     PCP_NS "rpc_blocking_response"
#define PXP_NON_BLOCKING_REQUEST  PCP_NS "rpc_non_blocking_request"
#define PXP_PROVISIONAL_RESPONSE  PCP_NS "rpc_provisional_response"
#define PXP_NON_BLOCKING_RESPONSE PCP_NS "rpc_non_blocking_response"
#define PXP_RPC_ERROR             PCP_NS "rpc_error_message"

struct pxp_request {            /* strings borrowed from the cJSON data */
	const char *transaction_id, *module, *action;
	const cJSON *params;        /* NULL when absent: treat as {} */
	bool non_blocking;
	bool notify_outcome;        /* non-blocking only, required there */
};

/* Validates request data per pxp.md §2 (blocking: transaction_id, module,
 * action strings required, params optional object; non-blocking also
 * notify_outcome bool required). Unknown keys are tolerated, as in
 * pxp-agent. Returns 0 and fills *out (pointers into data, valid while
 * data lives), or -1 with *err a static text for the PCP error_message
 * description ("invalid data: missing transaction_id", ...); data NULL
 * gives "no data". */
int pxp_request_parse(const cJSON *data, bool non_blocking,
    struct pxp_request *out, const char **err);

/* Reply data as compact JSON text, malloc'd (caller frees); NULL on
 * allocation failure. NULL string arguments are sent as "".
 * RPC error: {"transaction_id":..,"id":<request id>,"description":..} */
char *pxp_rpc_error_json(const char *transaction_id, const char *request_id,
    const char *description);
/* The same, with the description cut between characters and marked with
 * PXP_CUT_MARK so that the whole text takes at most max bytes (an error
 * may quote a whole stderr). When even an empty description would not
 * fit, the text is returned uncut. */
#define PXP_CUT_MARK " [...]"
char *pxp_rpc_error_json_max(const char *transaction_id,
    const char *request_id, const char *description, size_t max);
/* Provisional response: {"transaction_id":..} */
char *pxp_provisional_json(const char *tid);
/* Blocking / non-blocking response: {"transaction_id":..,"results":R}
 * where R is results_json spliced in unparsed (it must be valid JSON;
 * NULL means {}). */
char *pxp_response_json(const char *tid, const char *results_json);

#endif
