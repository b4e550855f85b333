/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * Output of mana-traffic. Every stdout line is one JSON object written with
 * a single write() (looping only on a short write) under a lock, because
 * event callbacks print from the EAL interrupt thread while the main loop
 * prints status and command replies. Logs go to stderr.
 */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "app.h"

static pthread_mutex_t app_out_lock = PTHREAD_MUTEX_INITIALIZER;

void
sb_init(struct sb *sb)
{
	sb->cap = 1024;
	sb->len = 0;
	sb->oom = false;
	sb->buf = malloc(sb->cap);
	if (sb->buf == NULL) {
		sb->cap = 0;
		sb->oom = true;
	} else {
		sb->buf[0] = '\0';
	}
}

static void
sb_free(struct sb *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = 0;
	sb->cap = 0;
}

static bool
sb_reserve(struct sb *sb, size_t extra)
{
	size_t cap = sb->cap;
	char *p;

	if (sb->oom)
		return false;
	if (sb->len + extra + 2 <= cap)
		return true;
	while (sb->len + extra + 2 > cap)
		cap *= 2;
	p = realloc(sb->buf, cap);
	if (p == NULL) {
		sb->oom = true;
		return false;
	}
	sb->buf = p;
	sb->cap = cap;
	return true;
}

void
sb_printf(struct sb *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !sb_reserve(sb, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void
sb_str(struct sb *sb, const char *s)
{
	size_t i;

	if (!sb_reserve(sb, strlen(s) * 6 + 2))
		return;
	sb->buf[sb->len++] = '"';
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			sb->buf[sb->len++] = '\\';
			sb->buf[sb->len++] = (char)c;
		} else if (c < 0x20) {
			sb->len += (size_t)snprintf(sb->buf + sb->len, 7, "\\u%04x", c);
		} else {
			sb->buf[sb->len++] = (char)c;
		}
	}
	sb->buf[sb->len++] = '"';
	sb->buf[sb->len] = '\0';
}

void
sb_emit(struct sb *sb)
{
	size_t off = 0;

	if (sb->oom || sb->buf == NULL) {
		static const char oom[] = "{\"ev\":\"error\",\"error\":\"out of memory\"}\n";

		pthread_mutex_lock(&app_out_lock);
		if (write(STDOUT_FILENO, oom, sizeof(oom) - 1) < 0)
			app_log("stdout: %s", strerror(errno));
		pthread_mutex_unlock(&app_out_lock);
		sb_free(sb);
		return;
	}
	sb->buf[sb->len++] = '\n';
	pthread_mutex_lock(&app_out_lock);
	while (off < sb->len) {
		ssize_t n = write(STDOUT_FILENO, sb->buf + off, sb->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* reader gone (EPIPE): nothing useful to do */
		off += (size_t)n;
	}
	pthread_mutex_unlock(&app_out_lock);
	sb_free(sb);
}

double
app_now_s(void)
{
	return (double)(rte_rdtsc() - app.t0) / (double)app.hz;
}

double
app_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void
app_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "mana-traffic[%d] %s: ", app.pid,
		     app.role != NULL ? app.role : "?");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	if (write(STDERR_FILENO, line, strlen(line)) < 0) {
		/* stderr gone: nothing to report to */
	}
}
