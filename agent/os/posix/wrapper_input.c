/* wrapper_input.c: what the wrapper writes to the action's stdin: the
 * job's input, then each of its input files framed as exec.h says (8
 * bytes of length, big-endian, then the bytes). The wrapper reads those
 * files as the agent, before nothing of theirs reaches the action but
 * their bytes: an action that runs as another user gets what the agent
 * may read (the task cache) without a way into it. Not the rest of the
 * wrapper's loop (wrapper.c).
 * Invariant: a frame's length is what was read; a file that shrank while
 * it was sent ends the input early (the action sees a short frame), one
 * that grew is cut at the length sent. Runs in the wrapper only. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/posix/exec_posix.h"

void
exec__input_init(struct exec__input *in)
{
	memset(in, 0, sizeof(*in));
	in->src = -1;
}

void
exec__input_free(struct exec__input *in)
{
	if (in->src >= 0)
		close(in->src);
	in->src = -1;
}

bool
exec__input_any(const struct exec__job *job)
{
	return job->input_len > 0 || (job->input_files != NULL &&
	    job->input_files[0] != NULL);
}

/* Opens the next input file into buf as its frame header. */
static void
input_next_file(const struct exec__job *job, struct exec__input *in)
{
	const char *path = job->input_files[in->file++];
	uint64_t len = EXEC_INPUT_FILE_MISSING;
	struct stat st;
	int i;

	in->src = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (in->src >= 0 && (fstat(in->src, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(in->src);
		in->src = -1;
	}
	if (in->src >= 0)
		len = (uint64_t)st.st_size;
	in->left = in->src >= 0 ? len : 0;
	for (i = 0; i < 8; i++)
		in->buf[i] = (unsigned char)(len >> (56 - 8 * i));
	in->buf_len = 8;
	in->buf_off = 0;
}

/* Refills buf from the current file; -1 when it ended before its
 * length (the input must stop: the frame cannot be completed). */
static int
input_fill(struct exec__input *in)
{
	size_t want = in->left < sizeof(in->buf) ? (size_t)in->left :
	    sizeof(in->buf);
	ssize_t n;

	do
		n = read(in->src, in->buf, want);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	in->buf_len = (size_t)n;
	in->buf_off = 0;
	in->left -= (uint64_t)n;
	return 0;
}

int
exec__input_write(const struct exec__job *job, int fd, struct exec__input *in)
{
	ssize_t n;

	for (;;) {
		if (in->off < job->input_len) {
			n = write(fd, job->input + in->off,
			    job->input_len - in->off);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				return 0;
			/* EPIPE included: the action need not read it all. */
			if (n <= 0)
				return 1;
			in->off += (size_t)n;
			continue;
		}
		if (in->buf_off == in->buf_len) {
			if (in->src >= 0 && in->left > 0) {
				if (input_fill(in) < 0)
					return 1;
			} else {
				exec__input_free(in);
				if (job->input_files == NULL ||
				    job->input_files[in->file] == NULL)
					return 1;
				input_next_file(job, in);
			}
		}
		n = write(fd, in->buf + in->buf_off, in->buf_len - in->buf_off);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return 0;
		if (n <= 0)
			return 1;
		in->buf_off += (size_t)n;
	}
}
