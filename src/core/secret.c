/* vs_secret accessors: no libcurl, so the preload can use the resolver. */
#include "vs_secret.h"

#include <stdlib.h>
#include <string.h>

const char *vs_secret_field(const vs_secret *sec, const char *field)
{
	if (sec->code)
		return NULL;
	for (size_t i = 0; i < sec->n_fields; i++)
		if (!strcmp(sec->fields[i].key, field))
			return sec->fields[i].value;
	return NULL;
}

bool vs_secret_field_nul(const vs_secret *sec, const char *field)
{
	for (size_t i = 0; !sec->code && i < sec->n_fields; i++)
		if (!strcmp(sec->fields[i].key, field))
			return sec->fields[i].nul;
	return false;
}

void vs_secret_clear(vs_secret *sec)
{
	for (size_t i = 0; i < sec->n_fields; i++) {
		free(sec->fields[i].key);
		vs_free_secret(sec->fields[i].value);
	}
	free(sec->fields);
	free(sec->api_path);
	free(sec->lease_id);
	memset(sec, 0, sizeof *sec);
}
