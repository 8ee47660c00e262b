/* msg_pattern.h - the messages of a test stream: message k's length and
 * bytes follow from k alone, so a receiver checks both content and
 * boundaries with no state shared with the sender (threads, processes or
 * MPI ranks alike). Every third message has an edge length (0, 1, 7, 8,
 * 63, 64, 65, max - 1, max); the others spread over 0..max. */
#ifndef PT_TEST_MSG_PATTERN_H
#define PT_TEST_MSG_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

/* The length of message k, from 0 to max (max >= 65). */
size_t pt_test_msg_len(int k, size_t max);

/* Writes message k's first len bytes to buf. */
void pt_test_msg_fill(unsigned char *buf, int k, size_t len);

/* True when buf holds message k whole: len is its length, every byte its. */
bool pt_test_msg_matches(const unsigned char *buf, int k, size_t len,
			 size_t max);

#endif
