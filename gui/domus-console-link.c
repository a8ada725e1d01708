/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The way to a domain's console, kept open: one stream at a time from the backend, a new one
 * when it ends. A failure is tried again after a wait that doubles each time (up to half a
 * minute), but a host that is not connected, or a domain the host lists as off, is waited for
 * instead: the host's and the domain's own notifications say when to try. Both the screen
 * (DomusConsole with a VNC display) and the serial port (with a terminal) use it.
 */

#include "config.h"

#include <unistd.h>
#include <glib/gi18n.h>

#include "domus-console-link.h"

G_DEFINE_ENUM_TYPE (DomusConsoleState, domus_console_state,
  G_DEFINE_ENUM_VALUE (DOMUS_CONSOLE_STATE_CONNECTING, "connecting"),
  G_DEFINE_ENUM_VALUE (DOMUS_CONSOLE_STATE_CONNECTED, "connected"),
  G_DEFINE_ENUM_VALUE (DOMUS_CONSOLE_STATE_DISCONNECTED, "disconnected"))

struct _DomusConsoleLink
{
  GObject            parent_instance;

  DomusHost         *host;
  char              *domain_name;
  DomusConsoleKind   kind;

  DomusConsoleState  state;
  char              *status;
  char              *retry_text;

  GCancellable      *cancellable;      /* the open call under way */
  guint              retry_source;
  guint              retry_delay_ms;

  /* The domain, watched so that a domain started again is reconnected at once. */
  DomusDomain       *domain;           /* weak */
  gboolean           domain_active;
};

G_DEFINE_FINAL_TYPE (DomusConsoleLink, domus_console_link, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_STATUS,
  PROP_RETRY_TEXT,
  PROP_DOMAIN_ACTIVE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_OPENED,
  SIGNAL_NO_CONSOLE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void start_open (DomusConsoleLink *self);

/* State */

static void
set_retry_text (DomusConsoleLink *self,
                const char       *text)
{
  if (g_strcmp0 (self->retry_text, text) == 0)
    return;
  g_free (self->retry_text);
  self->retry_text = g_strdup (text);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRY_TEXT]);
}

static void
set_state (DomusConsoleLink  *self,
           DomusConsoleState  state,
           const char        *status)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (g_strcmp0 (self->status, status) != 0)
    {
      g_free (self->status);
      self->status = g_strdup (status);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
    }
  if (state != DOMUS_CONSOLE_STATE_DISCONNECTED)
    set_retry_text (self, "");
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static gboolean
host_connected (DomusConsoleLink *self)
{
  return domus_host_get_state (self->host) == DOMUS_HOST_STATE_CONNECTED;
}

/* Retrying */

static gboolean
retry_cb (gpointer user_data)
{
  DomusConsoleLink *self = user_data;

  self->retry_source = 0;
  start_open (self);
  return G_SOURCE_REMOVE;
}

/* After a failure: try again later, each wait twice the last, so a domain that stays away
 * costs a call every half minute at most. A host that is not connected, or a domain that is
 * off, is waited for instead (their notifications). */
static void
schedule_retry (DomusConsoleLink *self)
{
  guint delay = self->retry_delay_ms;
  guint seconds;
  g_autofree char *text = NULL;

  g_clear_handle_id (&self->retry_source, g_source_remove);

  if (!host_connected (self))
    {
      set_retry_text (self, _("Waiting for the host to be connected again…"));
      return;
    }
  if (self->domain != NULL && !self->domain_active)
    {
      set_retry_text (self, _("Waiting for the domain to start…"));
      return;
    }

  self->retry_delay_ms = MIN (delay * 2, DOMUS_CONSOLE_MAX_RETRY_DELAY_MS);
  self->retry_source = g_timeout_add (delay, retry_cb, self);
  g_source_set_name_by_id (self->retry_source, "[domus] console retry");

  seconds = (delay + 999) / 1000;
  text = g_strdup_printf (ngettext ("Trying again in %u second…",
                          "Trying again in %u seconds…", seconds), seconds);
  set_retry_text (self, text);
}

static void
went_disconnected (DomusConsoleLink *self,
                   const char       *status)
{
  set_state (self, DOMUS_CONSOLE_STATE_DISCONNECTED, status);
  schedule_retry (self);
}

/* Opening */

typedef struct {
  DomusConsoleLink *link;
  GCancellable     *cancellable;   /* which attempt this is */
} OpenAttempt;

static void
open_attempt_free (OpenAttempt *attempt)
{
  g_clear_object (&attempt->link);
  g_clear_object (&attempt->cancellable);
  g_free (attempt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OpenAttempt, open_attempt_free)

static void
console_opened_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(OpenAttempt) attempt = user_data;
  DomusConsoleLink *self = attempt->link;
  g_autoptr(GError) error = NULL;
  int fd;

  fd = domus_host_open_console_finish (DOMUS_HOST (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (attempt->cancellable != self->cancellable)
    {
      /* Superseded (a newer attempt, or disposed), and the stream came anyway. */
      if (fd >= 0)
        close (fd);
      return;
    }
  g_clear_object (&self->cancellable);

  if (fd < 0)
    {
      g_autofree char *status = NULL;

      /* Translators: %s is the host's reason, e.g. "domain 'web' is not running". */
      status = g_strdup_printf (_("The console could not be opened: %s"), error->message);
      set_state (self, DOMUS_CONSOLE_STATE_DISCONNECTED, status);
      if (g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED))
        {
          DomusConsoleKind kind = self->kind;

          g_signal_emit (self, signals[SIGNAL_NO_CONSOLE], 0);
          /* The handler chose another console of the domain: that one is opened now. */
          if (self->kind != kind || self->state != DOMUS_CONSOLE_STATE_DISCONNECTED ||
              self->cancellable != NULL)
            return;
        }
      schedule_retry (self);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_OPENED], 0, fd);
}

static void
start_open (DomusConsoleLink *self)
{
  OpenAttempt *attempt;

  g_clear_handle_id (&self->retry_source, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  if (!host_connected (self))
    {
      const GError *error = domus_host_get_error (self->host);
      g_autofree char *status = NULL;

      if (error != NULL)
        /* Translators: %s is why the host is not connected. */
        status = g_strdup_printf (_("The host is not connected: %s"), error->message);
      set_state (self, DOMUS_CONSOLE_STATE_DISCONNECTED,
                 status != NULL ? status : _("Waiting for the host to connect…"));
      set_retry_text (self, "");
      return;
    }

  set_state (self, DOMUS_CONSOLE_STATE_CONNECTING, _("Connecting…"));
  self->cancellable = g_cancellable_new ();
  attempt = g_new0 (OpenAttempt, 1);
  attempt->link = g_object_ref (self);
  attempt->cancellable = g_object_ref (self->cancellable);
  domus_host_open_console_async (self->host, self->domain_name, self->kind,
                                 self->cancellable, console_opened_cb, attempt);
}

/* The host and the domain */

static void
host_state_cb (DomusHost        *host,
               GParamSpec       *pspec,
               DomusConsoleLink *self)
{
  if (!host_connected (self))
    {
      /* A local stream does not go through the daemon and may well outlive it: only a
       * console that has no stream says anything. */
      if (self->state == DOMUS_CONSOLE_STATE_DISCONNECTED)
        schedule_retry (self);
      return;
    }

  if (self->state == DOMUS_CONSOLE_STATE_DISCONNECTED)
    {
      self->retry_delay_ms = DOMUS_CONSOLE_RETRY_DELAY_MS;
      start_open (self);
    }
}

static gboolean
domain_state_is_active (DomusDomainState state)
{
  switch (state)
    {
    case DOMUS_DOMAIN_STATE_RUNNING:
    case DOMUS_DOMAIN_STATE_BLOCKED:
    case DOMUS_DOMAIN_STATE_PAUSED:
      return TRUE;
    default:
      return FALSE;
    }
}

static void
set_domain_active (DomusConsoleLink *self,
                   gboolean          active)
{
  if (self->domain_active == active)
    return;
  self->domain_active = active;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DOMAIN_ACTIVE]);
}

/* A domain that became active again (created, started, rebooted into a new QEMU) has a new
 * console: open it now rather than at the end of the back-off. Only the transition counts,
 * so a domain flipping between running and blocked does not defeat the back-off. */
static void
domain_state_cb (DomusDomain      *domain,
                 GParamSpec       *pspec,
                 DomusConsoleLink *self)
{
  gboolean active = domain_state_is_active (domus_domain_get_state (domain));
  gboolean was_active = self->domain_active;

  set_domain_active (self, active);
  if (!active || was_active)
    return;
  /* An attempt still under way may fail (it asked while the domain was off): its retry then
   * comes soon, not after the back-off the domain's absence built up. */
  self->retry_delay_ms = DOMUS_CONSOLE_RETRY_DELAY_MS;
  if (self->state == DOMUS_CONSOLE_STATE_DISCONNECTED && host_connected (self))
    start_open (self);
}

static void
track_domain (DomusConsoleLink *self)
{
  DomusDomain *domain = domus_host_lookup_domain (self->host, self->domain_name);

  if (domain == self->domain)
    return;

  if (self->domain != NULL)
    g_signal_handlers_disconnect_by_func (self->domain, domain_state_cb, self);
  g_set_weak_pointer (&self->domain, domain);

  if (domain == NULL)
    {
      set_domain_active (self, FALSE);
      return;
    }
  g_signal_connect_object (domain, "notify::state", G_CALLBACK (domain_state_cb), self, 0);
  domain_state_cb (domain, NULL, self);
}

static void
domains_changed_cb (GListModel       *domains,
                    guint             position,
                    guint             removed,
                    guint             added,
                    DomusConsoleLink *self)
{
  track_domain (self);
}

/* GObject */

static void
domus_console_link_dispose (GObject *object)
{
  DomusConsoleLink *self = DOMUS_CONSOLE_LINK (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->retry_source, g_source_remove);
  if (self->domain != NULL)
    g_signal_handlers_disconnect_by_func (self->domain, domain_state_cb, self);
  g_clear_weak_pointer (&self->domain);
  g_clear_object (&self->host);
  G_OBJECT_CLASS (domus_console_link_parent_class)->dispose (object);
}

static void
domus_console_link_finalize (GObject *object)
{
  DomusConsoleLink *self = DOMUS_CONSOLE_LINK (object);

  g_free (self->domain_name);
  g_free (self->status);
  g_free (self->retry_text);
  G_OBJECT_CLASS (domus_console_link_parent_class)->finalize (object);
}

static void
domus_console_link_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  DomusConsoleLink *self = DOMUS_CONSOLE_LINK (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_STATUS:
      g_value_set_string (value, self->status);
      break;
    case PROP_RETRY_TEXT:
      g_value_set_string (value, self->retry_text);
      break;
    case PROP_DOMAIN_ACTIVE:
      g_value_set_boolean (value, self->domain_active);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_console_link_class_init (DomusConsoleLinkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = domus_console_link_dispose;
  object_class->finalize = domus_console_link_finalize;
  object_class->get_property = domus_console_link_get_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, DOMUS_TYPE_CONSOLE_STATE,
                       DOMUS_CONSOLE_STATE_CONNECTING,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] =
    g_param_spec_string ("status", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RETRY_TEXT] =
    g_param_spec_string ("retry-text", NULL, NULL, "",
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DOMAIN_ACTIVE] =
    g_param_spec_boolean ("domain-active", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_OPENED] =
    g_signal_new ("opened", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_INT);
  signals[SIGNAL_NO_CONSOLE] =
    g_signal_new ("no-console", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
domus_console_link_init (DomusConsoleLink *self)
{
  self->state = DOMUS_CONSOLE_STATE_CONNECTING;
  self->retry_text = g_strdup ("");
  self->retry_delay_ms = DOMUS_CONSOLE_RETRY_DELAY_MS;
}

/* Public */

DomusConsoleLink *
domus_console_link_new (DomusHost        *host,
                        const char       *domain_name,
                        DomusConsoleKind  kind)
{
  DomusConsoleLink *self;

  g_return_val_if_fail (DOMUS_IS_HOST (host), NULL);
  g_return_val_if_fail (domain_name != NULL, NULL);

  self = g_object_new (DOMUS_TYPE_CONSOLE_LINK, NULL);
  self->host = g_object_ref (host);
  self->domain_name = g_strdup (domain_name);
  self->kind = kind;
  g_signal_connect_object (host, "notify::state", G_CALLBACK (host_state_cb), self, 0);
  g_signal_connect_object (domus_host_get_domains (host), "items-changed",
                           G_CALLBACK (domains_changed_cb), self, 0);
  track_domain (self);
  return self;
}

DomusHost *
domus_console_link_get_host (DomusConsoleLink *self)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE_LINK (self), NULL);
  return self->host;
}

const char *
domus_console_link_get_domain_name (DomusConsoleLink *self)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE_LINK (self), NULL);
  return self->domain_name;
}

DomusConsoleKind
domus_console_link_get_kind (DomusConsoleLink *self)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE_LINK (self), DOMUS_CONSOLE_GRAPHICS);
  return self->kind;
}

void
domus_console_link_set_kind (DomusConsoleLink *self,
                             DomusConsoleKind  kind)
{
  g_return_if_fail (DOMUS_IS_CONSOLE_LINK (self));
  self->kind = kind;
}

DomusConsoleState
domus_console_link_get_state (DomusConsoleLink *self)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE_LINK (self), DOMUS_CONSOLE_STATE_DISCONNECTED);
  return self->state;
}

const char *
domus_console_link_get_status (DomusConsoleLink *self)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE_LINK (self), NULL);
  return self->status;
}

const char *
domus_console_link_get_retry_text (DomusConsoleLink *self)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE_LINK (self), NULL);
  return self->retry_text;
}

gboolean
domus_console_link_get_domain_active (DomusConsoleLink *self)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE_LINK (self), FALSE);
  return self->domain_active;
}

void
domus_console_link_open (DomusConsoleLink *self)
{
  g_return_if_fail (DOMUS_IS_CONSOLE_LINK (self));

  self->retry_delay_ms = DOMUS_CONSOLE_RETRY_DELAY_MS;
  start_open (self);
}

void
domus_console_link_stream_up (DomusConsoleLink *self)
{
  g_return_if_fail (DOMUS_IS_CONSOLE_LINK (self));

  /* It worked: the next failure starts backing off from the beginning. */
  self->retry_delay_ms = DOMUS_CONSOLE_RETRY_DELAY_MS;
  set_state (self, DOMUS_CONSOLE_STATE_CONNECTED, _("Connected"));
}

void
domus_console_link_stream_lost (DomusConsoleLink *self,
                                const char       *reason)
{
  g_autofree char *status = NULL;

  g_return_if_fail (DOMUS_IS_CONSOLE_LINK (self));

  if (reason == NULL && self->domain == NULL)
    reason = _("the domain no longer exists");
  else if (reason == NULL && !self->domain_active)
    reason = _("the domain is not running");
  else if (reason == NULL && self->kind == DOMUS_CONSOLE_SERIAL)
    reason = _("the guest's serial port closed the connection");
  else if (reason == NULL)
    reason = _("the guest's screen closed the connection");
  /* Translators: %s says why, e.g. "the domain is not running". */
  status = g_strdup_printf (_("The console was disconnected: %s"), reason);
  went_disconnected (self, status);
}

void
domus_console_link_stream_failed (DomusConsoleLink *self,
                                  const char       *status)
{
  g_return_if_fail (DOMUS_IS_CONSOLE_LINK (self));
  went_disconnected (self, status);
}
