/* hb_model — word-parallel inference (first version: delegates to the reference). */
#include "hb_model.h"

enum hb_status hb_model_infer_ex(const struct hb_net *net, const uint8_t *bits,
				 struct hb_model_result *res, uint8_t *const *spikes)
{
	return hb_model_infer_naive_ex(net, bits, res, spikes);
}

enum hb_status hb_model_infer(const struct hb_net *net, const uint8_t *bits, struct hb_model_result *res)
{
	return hb_model_infer_ex(net, bits, res, NULL);
}
