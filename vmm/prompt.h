/*
 * vmm's interactive prompt: lines typed at a terminal, with line editing
 * and history (libedit), run one by one in a scenario session.
 */
#ifndef VMM_PROMPT_H
#define VMM_PROMPT_H

#include <stdio.h>

struct script_session;

#define PROMPT_MAIN           "vmm> "
#define PROMPT_CONTINUE       "...> "    /* inside an `expect maps` block */

/*
 * Read lines from the terminal on in (editing, history, ~/.editrc) and
 * run each in s, the transcript to out, the prompt and diagnostics to err.
 * name is the session's name for messages.  History is kept in
 * $VMM_HISTORY, else ~/.vmm_history (none when neither can be used).
 * Returns as script_session_run_stream: 0 or 1 at the end of input, 1 when
 * an after_step hook stopped the run, 3 as soon as the guest dies.
 */
int prompt_run(struct script_session *s, const char *name, FILE *in, FILE *out, FILE *err);

#endif
