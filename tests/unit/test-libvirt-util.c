/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the libvirt tests share: waiting on async calls and on events, throwaway test:/// hosts. */

#include <glib/gstdio.h>

#include "domus-libvirt-sampler.h"
#include "test-libvirt-util.h"

void
lvt_keep_result (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

static gboolean
on_too_long (gpointer data)
{
  g_error ("an asynchronous call did not answer within 60 s");
  return G_SOURCE_REMOVE;
}

GAsyncResult *
lvt_wait (GAsyncResult **slot)
{
  /* The last result is kept until the next wait: the callers pass it straight to a
   * _finish, and the task (with its source object, a connection) must go after that. */
  static GAsyncResult *last;
  guint timeout = g_timeout_add_seconds (60, on_too_long, NULL);

  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timeout);
  g_clear_object (&last);
  last = g_steal_pointer (slot);
  return last;
}

static gboolean
on_deadline (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
lvt_wait_until (gboolean (*predicate) (gpointer data),
                gpointer   data,
                guint      timeout_ms)
{
  gboolean late = FALSE;
  guint timeout = g_timeout_add (timeout_ms, on_deadline, &late);

  while (!predicate (data) && !late)
    g_main_context_iteration (NULL, TRUE);
  if (!late)
    g_source_remove (timeout);
  return predicate (data);
}

DomusLibvirtConnection *
lvt_open (const char *uri)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  DomusLibvirtConnection *connection;

  domus_libvirt_connection_open_async (uri, NULL, NULL, NULL, lvt_keep_result, &result);
  connection = domus_libvirt_connection_open_finish (lvt_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (connection);
  return connection;
}

DomusLibvirtDomainInfo *
lvt_get_domain (DomusLibvirtConnection  *connection,
                const char              *name,
                GError                 **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  domus_libvirt_get_domain_async (connection, name, NULL, lvt_keep_result, &result);
  return domus_libvirt_get_domain_finish (connection, lvt_wait (&result), error);
}

char *
lvt_test_uri (const char *node_xml)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("domus-libvirt-XXXXXX", &error);
  g_autofree char *path = NULL;

  g_assert_no_error (error);
  path = g_build_filename (dir, "node.xml", NULL);
  g_file_set_contents (path, node_xml, -1, &error);
  g_assert_no_error (error);
  /* The test driver reads the file at once, when the connection opens: it can go then,
   * but the tests open some URIs twice, so it stays until the process ends. */
  return g_strconcat ("test://", path, NULL);
}

static void
on_domain_event (DomusLibvirtConnection *connection,
                 const char             *uuid,
                 const char             *name,
                 int                     kind,
                 int                     event,
                 int                     detail,
                 gpointer                user_data)
{
  LvtEvents *events = user_data;

  g_ptr_array_add (events->seen, g_strdup_printf ("%s %d %d %d", name, kind, event, detail));
}

void
lvt_events_watch (LvtEvents              *events,
                  DomusLibvirtConnection *connection)
{
  events->seen = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (connection, "domain-event", G_CALLBACK (on_domain_event), events);
}

typedef struct {
  LvtEvents  *events;
  const char *prefix;
} EventWait;

static gboolean
event_seen (gpointer data)
{
  EventWait *wait = data;

  for (guint i = 0; i < wait->events->seen->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (wait->events->seen, i), wait->prefix))
      return TRUE;
  return FALSE;
}

gboolean
lvt_events_wait (LvtEvents  *events,
                 const char *prefix,
                 guint       timeout_ms)
{
  EventWait wait = { events, prefix };

  return lvt_wait_until (event_seen, &wait, timeout_ms);
}

void
lvt_events_clear (LvtEvents *events)
{
  g_ptr_array_set_size (events->seen, 0);
}

static void
on_sample (DomusLibvirtSampler      *sampler,
           const DomusLibvirtSample *sample,
           gpointer                  user_data)
{
  g_ptr_array_add (((LvtSamples *) user_data)->samples, domus_libvirt_sample_copy (sample));
}

void
lvt_samples_watch (LvtSamples *samples,
                   GObject    *sampler)
{
  samples->samples = g_ptr_array_new_with_free_func ((GDestroyNotify) domus_libvirt_sample_free);
  g_signal_connect (sampler, "sample", G_CALLBACK (on_sample), samples);
}

typedef struct {
  LvtSamples *samples;
  guint       count;
} SampleWait;

static gboolean
enough_samples (gpointer data)
{
  SampleWait *wait = data;

  return wait->samples->samples->len >= wait->count;
}

gboolean
lvt_samples_wait (LvtSamples *samples,
                  guint       count,
                  guint       timeout_ms)
{
  SampleWait wait = { samples, count };

  return lvt_wait_until (enough_samples, &wait, timeout_ms);
}
