/* strerror.c - pt_strerror(): errno descriptions without shared buffers. */
#include <procthread/error.h>

#include <string.h>

const char *pt_strerror(int err)
{
	const char *desc;

	if (err < 0)
		err = -err;
	if (err == 0)
		return "Success";
	/* strerrordesc_np() returns a static string, unlike strerror(),
	 * which may format into a buffer shared by all threads. */
	desc = strerrordesc_np(err);
	return desc ? desc : "Unknown error";
}
