/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Questions domusctl asks on the terminal: SSH passwords and passphrases, host keys. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define DOMUSCTL_TYPE_PROMPT (domusctl_prompt_get_type ())
G_DECLARE_FINAL_TYPE (DomusctlPrompt, domusctl_prompt, DOMUSCTL, PROMPT, GTlsInteraction)

/* Asks on /dev/tty with echo off; with no terminal it answers nothing (the login fails). */
GTlsInteraction *domusctl_prompt_new     (void);

/* Whether a terminal is there to ask on. */
gboolean         domusctl_prompt_can_ask (void);
/* Prints question on the terminal and reads a line: TRUE only for "yes". */
gboolean         domusctl_prompt_confirm (const char *question);

G_END_DECLS
