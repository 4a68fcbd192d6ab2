/* target.c: a peer's parsed URI (target.h). */
#include <stdlib.h>
#include <string.h>

#include "net/target.h"

void
net_target_free(struct net_target *t)
{
	free(t->host);
	free(t->host_hdr);
	free(t->path);
	memset(t, 0, sizeof(*t));
}
