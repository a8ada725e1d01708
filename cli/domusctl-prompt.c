/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Terminal prompts, as ssh(1) asks them: on /dev/tty rather than stdin and stdout,
 * so they work with both redirected, and never when there is no terminal at all.
 */

#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "domusctl-prompt.h"

struct _DomusctlPrompt
{
  GTlsInteraction parent_instance;
};

G_DEFINE_FINAL_TYPE (DomusctlPrompt, domusctl_prompt, G_TYPE_TLS_INTERACTION)

static int
open_terminal (void)
{
  return open ("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
}

gboolean
domusctl_prompt_can_ask (void)
{
  int fd = open_terminal ();

  if (fd < 0)
    return FALSE;
  close (fd);
  return TRUE;
}

/* Reads one line from the terminal, echoing it or not; NULL at end of input. */
static char *
ask_line (const char *question,
          gboolean    echo)
{
  struct termios saved, quiet;
  gboolean restore = FALSE;
  g_autoptr(GString) line = g_string_new (NULL);
  int fd = open_terminal ();
  char c;
  gboolean ended = FALSE;

  if (fd < 0)
    return NULL;
  /* Quiet before the question shows: an answer typed (or pasted) as soon as it appears must
   * neither be echoed nor thrown away by the flush, which only drops what came earlier. */
  if (!echo && tcgetattr (fd, &saved) == 0)
    {
      quiet = saved;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      restore = tcsetattr (fd, TCSAFLUSH, &quiet) == 0;
    }
  (void) !write (fd, question, strlen (question));
  for (;;)
    {
      ssize_t n = read (fd, &c, 1);

      if (n <= 0)
        {
          ended = line->len == 0;
          break;
        }
      if (c == '\n' || c == '\r')
        break;
      g_string_append_c (line, c);
    }
  if (restore)
    {
      tcsetattr (fd, TCSAFLUSH, &saved);
      (void) !write (fd, "\n", 1);
    }
  close (fd);
  if (ended)
    {
      explicit_bzero (line->str, line->len);
      return NULL;
    }
  return g_string_free (g_steal_pointer (&line), FALSE);
}

gboolean
domusctl_prompt_confirm (const char *question)
{
  g_autofree char *answer = ask_line (question, TRUE);

  return answer != NULL && g_ascii_strcasecmp (g_strstrip (answer), "yes") == 0;
}

static void
wipe_and_free (gpointer secret)
{
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

static GTlsInteractionResult
domusctl_prompt_ask_password (GTlsInteraction  *interaction,
                              GTlsPassword     *password,
                              GCancellable     *cancellable,
                              GError          **error)
{
  g_autofree char *question = g_strdup_printf ("%s: ", g_tls_password_get_description (password));
  char *answer = ask_line (question, FALSE);

  if (answer == NULL)
    return G_TLS_INTERACTION_UNHANDLED;
  /* The password object keeps it until the login is done; nothing goes to disk. */
  g_tls_password_set_value_full (password, (guchar *) answer, -1, wipe_and_free);
  return G_TLS_INTERACTION_HANDLED;
}

static void
domusctl_prompt_class_init (DomusctlPromptClass *klass)
{
  G_TLS_INTERACTION_CLASS (klass)->ask_password = domusctl_prompt_ask_password;
}

static void
domusctl_prompt_init (DomusctlPrompt *self)
{
}

GTlsInteraction *
domusctl_prompt_new (void)
{
  return g_object_new (DOMUSCTL_TYPE_PROMPT, NULL);
}
