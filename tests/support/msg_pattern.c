/* msg_pattern.c - the messages of a test stream (msg_pattern.h). */
#include "support/msg_pattern.h"

size_t pt_test_msg_len(int k, size_t max)
{
	const size_t edges[] = { 0, 1, 7, 8, 63, 64, 65, max - 1, max };

	if (k % 3 == 0)
		return edges[(k / 3) % 9];
	return (size_t)k * 37 % (max + 1);
}

void pt_test_msg_fill(unsigned char *buf, int k, size_t len)
{
	for (size_t j = 0; j < len; j++)
		buf[j] = (unsigned char)(k * 131 + j * 7);
}

bool pt_test_msg_matches(const unsigned char *buf, int k, size_t len,
			 size_t max)
{
	if (len != pt_test_msg_len(k, max))
		return false;
	for (size_t j = 0; j < len; j++)
		if (buf[j] != (unsigned char)(k * 131 + j * 7))
			return false;
	return true;
}
