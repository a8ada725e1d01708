/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Logging in on a new libssh2 session: the host key, then the user (see the header). */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <libssh2.h>

#include "domus-error.h"
#include "domus-ssh-login.h"

/* Offers the host key algorithms known_hosts has for this host first, as OpenSSH does,
   so a host with several keys shows us one we can check. */
void
domus_ssh_login_prefer_known_key_types (DomusSshLogin   *self,
                                        DomusKnownHosts *known)
{
  static const char * const supported[] = {
    "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    "ssh-rsa", "ssh-dss",
  };
  g_auto(GStrv) known_types = domus_known_hosts_get_key_types (known, self->options->host,
                                                               self->options->port);
  g_autoptr(GString) order = g_string_new (NULL);

  for (guint i = 0; known_types != NULL && known_types[i] != NULL; i++)
    for (gsize j = 0; j < G_N_ELEMENTS (supported); j++)
      if (strcmp (known_types[i], supported[j]) == 0)
        g_string_append_printf (order, "%s%s", order->len ? "," : "", supported[j]);
  for (gsize j = 0; j < G_N_ELEMENTS (supported); j++)
    if (known_types == NULL || !g_strv_contains ((const char * const *) known_types, supported[j]))
      g_string_append_printf (order, "%s%s", order->len ? "," : "", supported[j]);
  libssh2_session_method_pref (self->ssh, LIBSSH2_METHOD_HOSTKEY, order->str);
}

gboolean
domus_ssh_login_check_host_key (DomusSshLogin    *self,
                                DomusKnownHosts  *known,
                                GError          **error)
{
  const guint8 *blob;
  size_t len = 0;
  int type = 0;
  g_autofree char *fingerprint = NULL;
  g_autofree char *key_type = NULL;
  g_autofree char *where = NULL;
  g_autoptr(GError) append_error = NULL;

  blob = (const guint8 *) libssh2_session_hostkey (self->ssh, &len, &type);
  if (blob == NULL)
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_CONNECT_FAILED,
                   _("%s showed no host key."), self->host_label);
      return FALSE;
    }
  fingerprint = domus_host_key_fingerprint (blob, len);
  key_type = domus_host_key_get_type (blob, len);
  if (key_type == NULL)
    key_type = g_strdup ("unknown");

  if (self->options->no_verify)
    {
      self->security_notice = g_strdup_printf (_("The host key of %s (%s %s) was not checked: the address says no_verify=1."),
                                               self->host_label, key_type, fingerprint);
      return TRUE;
    }

  switch (domus_known_hosts_check (known, self->options->host, self->options->port,
                                   blob, len, &where))
    {
    case DOMUS_HOST_KEY_MATCH:
      return TRUE;

    case DOMUS_HOST_KEY_REVOKED:
      g_propagate_error (error, domus_error_new_host_key (DOMUS_ERROR_HOST_KEY_CHANGED, key_type, fingerprint,
                                                          _("The host key of %s (%s %s) is marked revoked in %s. Refusing to connect."),
                                                          self->host_label, key_type, fingerprint, where));
      return FALSE;

    case DOMUS_HOST_KEY_CHANGED:
      g_propagate_error (error, domus_error_new_host_key (DOMUS_ERROR_HOST_KEY_CHANGED, key_type, fingerprint,
                                                          _("The host key of %s has CHANGED: it now shows %s %s, but %s holds another %s key. "
                                                            "Someone may be intercepting the connection, or the host was reinstalled. "
                                                            "Refusing to connect. If the change is expected, remove the old key "
                                                            "(ssh-keygen -R '%s' -f %s) and connect again."),
                                                          self->host_label, key_type, fingerprint, where, key_type,
                                                          self->host_label, self->options->known_hosts));
      return FALSE;

    case DOMUS_HOST_KEY_UNKNOWN:
    default:
      break;
    }

  if (g_strcmp0 (self->accept_fingerprint, fingerprint) != 0)
    {
      g_propagate_error (error, domus_error_new_host_key (DOMUS_ERROR_HOST_KEY_UNKNOWN, key_type, fingerprint,
                                                          _("The host key of %s is not known: %s %s. "
                                                            "Accept it only if it is the host’s (ask its administrator: ssh-keygen -lf on the host’s key)."),
                                                          self->host_label, key_type, fingerprint));
      return FALSE;
    }
  if (!domus_known_hosts_append (self->options->known_hosts, self->options->host,
                                 self->options->port, blob, len, &append_error))
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_CONNECT_FAILED,
                   _("The host key of %s was accepted but could not be saved: %s"),
                   self->host_label, append_error->message);
      return FALSE;
    }
  return TRUE;
}

/* Asks through the interaction; NULL when there is none, or the user gave up. */
static char *
ask_secret (DomusSshLogin *self,
            const char      *description,
            const char      *warning)
{
  g_autoptr(GTlsPassword) password = NULL;
  const guchar *value;
  gsize len = 0;

  if (self->interaction == NULL)
    return NULL;
  password = g_tls_password_new (G_TLS_PASSWORD_NONE, description);
  if (warning != NULL)
    g_tls_password_set_warning (password, warning);
  if (g_tls_interaction_invoke_ask_password (self->interaction, password, self->cancellable, NULL)
      != G_TLS_INTERACTION_HANDLED)
    return NULL;
  value = g_tls_password_get_value (password, &len);
  return g_strndup ((const char *) value, len);
}

static void
forget_secret (char *secret)
{
  if (secret == NULL)
    return;
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

static void
keyboard_interactive_answer (const char                            *name,
                             int                                    name_len,
                             const char                            *instruction,
                             int                                    instruction_len,
                             int                                    num_prompts,
                             const LIBSSH2_USERAUTH_KBDINT_PROMPT  *prompts,
                             LIBSSH2_USERAUTH_KBDINT_RESPONSE      *responses,
                             void                                 **abstract)
{
  DomusSshLogin *self = *abstract;

  for (int i = 0; i < num_prompts; i++)
    {
      g_autofree char *prompt = g_strndup ((const char *) prompts[i].text, prompts[i].length);
      g_autofree char *description = g_strdup_printf ("%s@%s: %s", self->options->user,
                                                      self->host_label, g_strstrip (prompt));
      char *answer = ask_secret (self, description, NULL);

      /* libssh2 frees the answers with free(). */
      responses[i].text = strdup (answer != NULL ? answer : "");
      responses[i].length = answer != NULL ? strlen (answer) : 0;
      forget_secret (answer);
    }
}

static gboolean
key_file_is_encrypted (const char *path)
{
  g_autofree char *text = NULL;
  g_autofree guchar *decoded = NULL;
  g_autoptr(GString) body = NULL;
  gsize len = 0;
  const char *begin, *end;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return FALSE;
  if (strstr (text, "ENCRYPTED") != NULL)
    return TRUE;   /* PEM keys say so in their header */
  begin = strstr (text, "-----BEGIN OPENSSH PRIVATE KEY-----");
  if (begin == NULL)
    return FALSE;
  begin = strchr (begin, '\n');
  end = begin != NULL ? strstr (begin, "-----END") : NULL;
  if (end == NULL)
    return FALSE;
  body = g_string_new_len (begin, end - begin);
  decoded = g_base64_decode (body->str, &len);
  /* "openssh-key-v1\0", then the cipher's name as an SSH string: "none" when plain. */
  if (len < 15 + 4 + 4 || memcmp (decoded, "openssh-key-v1", 15) != 0)
    return FALSE;
  return !(decoded[15] == 0 && decoded[16] == 0 && decoded[17] == 0 && decoded[18] == 4 &&
           memcmp (decoded + 19, "none", 4) == 0);
}

static gboolean
try_key_file (DomusSshLogin *self,
              const char      *path,
              GString         *tried)
{
  char *passphrase = NULL;
  int rc;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return FALSE;
  g_string_append_printf (tried, "%s%s", tried->len ? ", " : "", path);
  if (key_file_is_encrypted (path))
    {
      g_autofree char *description = g_strdup_printf (_("Passphrase for %s"), path);

      passphrase = ask_secret (self, description, NULL);
      if (passphrase == NULL)
        return FALSE;
    }
  rc = libssh2_userauth_publickey_fromfile (self->ssh, self->options->user, NULL, path, passphrase);
  forget_secret (passphrase);
  return rc == 0;
}

static gboolean
try_agent (DomusSshLogin *self,
           GString         *tried)
{
  LIBSSH2_AGENT *agent;
  struct libssh2_agent_publickey *identity = NULL, *previous = NULL;
  gboolean in = FALSE;
  guint count = 0;

  if (g_getenv ("SSH_AUTH_SOCK") == NULL)
    return FALSE;
  agent = libssh2_agent_init (self->ssh);
  if (agent == NULL)
    return FALSE;
  if (libssh2_agent_connect (agent) == 0 && libssh2_agent_list_identities (agent) == 0)
    {
      while (!in && libssh2_agent_get_identity (agent, &identity, previous) == 0)
        {
          count++;
          in = libssh2_agent_userauth (agent, self->options->user, identity) == 0;
          previous = identity;
        }
      libssh2_agent_disconnect (agent);
    }
  libssh2_agent_free (agent);
  g_string_append_printf (tried, "%s", tried->len ? ", " : "");
  g_string_append_printf (tried, g_dngettext (GETTEXT_PACKAGE, "ssh-agent (%u key)", "ssh-agent (%u keys)", count), count);
  return in;
}

static gboolean
try_password (DomusSshLogin *self,
              const char      *methods,
              GString         *tried)
{
  if (self->interaction == NULL)
    return FALSE;
  if (strstr (methods, "keyboard-interactive") != NULL)
    {
      g_string_append_printf (tried, "%skeyboard-interactive", tried->len ? ", " : "");
      if (libssh2_userauth_keyboard_interactive (self->ssh, self->options->user,
                                                 keyboard_interactive_answer) == 0)
        return TRUE;
    }
  if (strstr (methods, "password") != NULL)
    {
      g_autofree char *description = g_strdup_printf (_("Password for %s@%s"), self->options->user,
                                                      self->host_label);
      char *password = ask_secret (self, description, NULL);
      int rc;

      g_string_append_printf (tried, "%spassword", tried->len ? ", " : "");
      if (password == NULL)
        return FALSE;
      rc = libssh2_userauth_password (self->ssh, self->options->user, password);
      forget_secret (password);
      return rc == 0;
    }
  return FALSE;
}

gboolean
domus_ssh_login_authenticate (DomusSshLogin  *self,
                              GError        **error)
{
  static const char * const default_keys[] = { "id_ed25519", "id_ecdsa", "id_rsa" };
  g_autoptr(GString) tried = g_string_new (NULL);
  const char *user = self->options->user;
  char *listed;
  g_autofree char *methods = NULL;

  listed = libssh2_userauth_list (self->ssh, user, (unsigned int) strlen (user));
  if (listed == NULL && libssh2_userauth_authenticated (self->ssh))
    return TRUE;   /* the server let us in with "none" */
  methods = g_strdup (listed != NULL ? listed : "");

  if (strstr (methods, "publickey") != NULL)
    {
      if (try_agent (self, tried))
        return TRUE;
      if (self->options->keyfile != NULL)
        {
          if (try_key_file (self, self->options->keyfile, tried))
            return TRUE;
        }
      else
        for (gsize i = 0; i < G_N_ELEMENTS (default_keys); i++)
          {
            g_autofree char *path = g_build_filename (g_get_home_dir (), ".ssh", default_keys[i], NULL);

            if (try_key_file (self, path, tried))
              return TRUE;
          }
    }
  if (try_password (self, methods, tried))
    return TRUE;
  if (g_cancellable_is_cancelled (self->cancellable))
    return !g_cancellable_set_error_if_cancelled (self->cancellable, error);

  g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_AUTH_FAILED,
               _("%s@%s did not let us in. Tried: %s. The server offers: %s."),
               user, self->host_label, tried->len ? tried->str : _("nothing we have"),
               *methods != '\0' ? methods : _("no method"));
  return FALSE;
}
