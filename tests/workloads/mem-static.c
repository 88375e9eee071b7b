/* mem-static.c - linked statically: pinch mem must refuse it (no PT_INTERP). */
#include <stdlib.h>

int main(void)
{
	void *volatile p = malloc(100);

	free(p);
	return 0;
}
