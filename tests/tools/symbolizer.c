/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 mana-mp-reset authors
 */

/*
 * The sanitizers' symbolizer for sanitizer runs (ASAN_SYMBOLIZER_PATH),
 * built static. The sanitizer starts it with the environment of the failing
 * process, whose LD_PRELOAD holds the software VF: built with ASan, that
 * library cannot load into an uninstrumented program ("undefined symbol:
 * __asan_option_detect_stack_use_after_return"), so neither a shell script
 * nor llvm-symbolizer itself would start and no report would be
 * symbolized. A static program has no dynamic loader to honour LD_PRELOAD:
 * it drops it and runs the real llvm-symbolizer. Built as "llvm-symbolizer"
 * so that the sanitizer speaks that tool's protocol to it.
 */

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	glob_t found;
	size_t i;

	(void)argc;
	unsetenv("LD_PRELOAD");
	unsetenv("MANA_SIM");
	if (access("/usr/bin/llvm-symbolizer", X_OK) == 0)
		execv("/usr/bin/llvm-symbolizer", argv);
	if (glob("/usr/lib/llvm-*/bin/llvm-symbolizer", 0, NULL, &found) == 0) {
		for (i = 0; i < found.gl_pathc; i++)
			if (access(found.gl_pathv[i], X_OK) == 0)
				execv(found.gl_pathv[i], argv);
		globfree(&found);
	}
	fprintf(stderr, "llvm-symbolizer not found\n");
	return 1;
}
