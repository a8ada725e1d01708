/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A libvirt host's domains. Each call runs on the connection's thread; what a domain is
 * comes from libvirt's state and info calls plus its XML, read with libvirt-gconfig (the
 * devices Domus cares about and the Domus <metadata>).
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <libvirt-gconfig/libvirt-gconfig.h>

#include "domus-libvirt.h"
#include "domus-libvirt-domains.h"

/* The info */

G_DEFINE_BOXED_TYPE (DomusLibvirtDomainInfo, domus_libvirt_domain_info,
                     domus_libvirt_domain_info_copy, domus_libvirt_domain_info_free)

DomusLibvirtDomainInfo *
domus_libvirt_domain_info_new (void)
{
  DomusLibvirtDomainInfo *info = g_new0 (DomusLibvirtDomainInfo, 1);

  info->id = -1;
  info->state = DOMUS_DOMAIN_STATE_INVALID;
  info->memory_mib = -1;
  info->vcpus = -1;
  info->tags = g_new0 (char *, 1);
  return info;
}

DomusLibvirtDomainInfo *
domus_libvirt_domain_info_copy (const DomusLibvirtDomainInfo *info)
{
  DomusLibvirtDomainInfo *copy;

  g_return_val_if_fail (info != NULL, NULL);
  copy = g_memdup2 (info, sizeof *info);
  copy->uuid = g_strdup (info->uuid);
  copy->name = g_strdup (info->name);
  copy->tags = g_strdupv (info->tags);
  copy->error = g_strdup (info->error);
  return copy;
}

void
domus_libvirt_domain_info_free (DomusLibvirtDomainInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->uuid);
  g_free (info->name);
  g_strfreev (info->tags);
  g_free (info->error);
  g_free (info);
}

DomusDomainState
domus_libvirt_state_from_vir (int vir_state,
                              int vir_reason)
{
  switch (vir_state)
    {
    case VIR_DOMAIN_RUNNING:
      return DOMUS_DOMAIN_STATE_RUNNING;
    case VIR_DOMAIN_BLOCKED:
      return DOMUS_DOMAIN_STATE_BLOCKED;
    case VIR_DOMAIN_PAUSED:
      if (vir_reason == VIR_DOMAIN_PAUSED_STARTING_UP)
        return DOMUS_DOMAIN_STATE_STARTING;
      /* A migration's target waits paused for the stream, as domusd's "incoming". */
      if (vir_reason == VIR_DOMAIN_PAUSED_MIGRATION)
        return DOMUS_DOMAIN_STATE_INCOMING;
      return DOMUS_DOMAIN_STATE_PAUSED;
    case VIR_DOMAIN_PMSUSPENDED:
      return DOMUS_DOMAIN_STATE_PAUSED;
    case VIR_DOMAIN_SHUTDOWN:
      return DOMUS_DOMAIN_STATE_SHUTDOWN;
    case VIR_DOMAIN_SHUTOFF:
      return DOMUS_DOMAIN_STATE_SHUTOFF;
    case VIR_DOMAIN_CRASHED:
      return DOMUS_DOMAIN_STATE_CRASHED;
    case VIR_DOMAIN_NOSTATE:
    default:
      return DOMUS_DOMAIN_STATE_BLOCKED;
    }
}

/* Tags in <metadata> */

char *
domus_libvirt_tags_to_metadata (const char * const *tags)
{
  GString *xml = g_string_new ("<tags>");

  for (gsize i = 0; tags != NULL && tags[i] != NULL; i++)
    {
      g_autofree char *escaped = g_markup_escape_text (tags[i], -1);

      g_string_append_printf (xml, "<tag>%s</tag>", escaped);
    }
  g_string_append (xml, "</tags>");
  return g_string_free (xml, FALSE);
}

typedef struct {
  GStrvBuilder *tags;
  GString      *text;
  gboolean      in_tag;
} TagsParse;

static const char *
local_name (const char *element)
{
  const char *colon = strchr (element, ':');

  return colon != NULL ? colon + 1 : element;
}

static void
tags_start (GMarkupParseContext  *context,
            const char           *element,
            const char          **names,
            const char          **values,
            gpointer              user_data,
            GError              **error)
{
  TagsParse *parse = user_data;

  parse->in_tag = strcmp (local_name (element), "tag") == 0;
  g_string_truncate (parse->text, 0);
}

static void
tags_end (GMarkupParseContext  *context,
          const char           *element,
          gpointer              user_data,
          GError              **error)
{
  TagsParse *parse = user_data;
  g_autofree char *tag = NULL;

  if (!parse->in_tag)
    return;
  parse->in_tag = FALSE;
  tag = g_strstrip (g_strdup (parse->text->str));
  if (*tag != '\0')
    g_strv_builder_add (parse->tags, tag);
}

static void
tags_text (GMarkupParseContext  *context,
           const char           *text,
           gsize                 len,
           gpointer              user_data,
           GError              **error)
{
  TagsParse *parse = user_data;

  if (parse->in_tag)
    g_string_append_len (parse->text, text, len);
}

GStrv
domus_libvirt_tags_from_metadata (const char *metadata)
{
  static const GMarkupParser parser = { tags_start, tags_end, tags_text, NULL, NULL };
  TagsParse parse = { g_strv_builder_new (), g_string_new (NULL), FALSE };
  g_autoptr(GMarkupParseContext) context = NULL;
  GStrv tags;

  if (metadata != NULL)
    {
      context = g_markup_parse_context_new (&parser, 0, &parse, NULL);
      /* Text that is not XML has no tags: what parsed before the fault is kept. */
      if (g_markup_parse_context_parse (context, metadata, -1, NULL))
        g_markup_parse_context_end_parse (context, NULL);
    }
  tags = g_strv_builder_end (parse.tags);
  g_strv_builder_unref (parse.tags);
  g_string_free (parse.text, TRUE);
  return tags;
}

/* The XML */

static gboolean
chardev_can_be_opened (GVirConfigDomainChardev *chardev)
{
  GVirConfigDomainChardevSource *source = gvir_config_domain_chardev_get_source (chardev);
  /* virDomainOpenConsole reaches pty and unix sources only. */
  gboolean can = GVIR_CONFIG_IS_DOMAIN_CHARDEV_SOURCE_PTY (source) ||
                 GVIR_CONFIG_IS_DOMAIN_CHARDEV_SOURCE_UNIX (source);

  g_clear_object (&source);
  return can;
}

static void
read_devices (DomusLibvirtDomainInfo *info,
              GVirConfigDomain       *domain)
{
  GList *devices = gvir_config_domain_get_devices (domain);
  gboolean vnc = FALSE, spice = FALSE, other = FALSE;

  info->has_serial = FALSE;
  for (GList *l = devices; l != NULL; l = l->next)
    {
      if (GVIR_CONFIG_IS_DOMAIN_GRAPHICS_VNC (l->data))
        vnc = TRUE;
      else if (GVIR_CONFIG_IS_DOMAIN_GRAPHICS_SPICE (l->data))
        spice = TRUE;
      else if (GVIR_CONFIG_IS_DOMAIN_GRAPHICS (l->data))
        other = TRUE;
      else if ((GVIR_CONFIG_IS_DOMAIN_SERIAL (l->data) || GVIR_CONFIG_IS_DOMAIN_CONSOLE (l->data)) &&
               chardev_can_be_opened (l->data))
        info->has_serial = TRUE;
    }
  g_list_free_full (devices, g_object_unref);
  info->graphics = vnc ? DOMUS_LIBVIRT_GRAPHICS_VNC
                 : spice ? DOMUS_LIBVIRT_GRAPHICS_SPICE
                 : other ? DOMUS_LIBVIRT_GRAPHICS_OTHER
                 : DOMUS_LIBVIRT_GRAPHICS_NONE;
}

gboolean
domus_libvirt_domain_info_read_xml (DomusLibvirtDomainInfo  *info,
                                    const char              *xml,
                                    GError                 **error)
{
  GVirConfigDomain *domain;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *metadata = NULL;

  g_return_val_if_fail (info != NULL, FALSE);
  g_return_val_if_fail (xml != NULL, FALSE);

  domain = gvir_config_domain_new_from_xml (xml, &local_error);
  if (domain == NULL || gvir_config_domain_get_name (domain) == NULL)
    {
      if (local_error != NULL)
        g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_CONFIG,
                     _("This is not a libvirt domain definition: %s"), local_error->message);
      else
        g_set_error_literal (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_CONFIG,
                             _("This libvirt domain definition has no <name>."));
      g_clear_object (&domain);
      return FALSE;
    }
  g_free (info->name);
  info->name = g_strdup (gvir_config_domain_get_name (domain));
  if (gvir_config_domain_get_uuid (domain) != NULL)
    {
      g_free (info->uuid);
      info->uuid = g_strdup (gvir_config_domain_get_uuid (domain));
    }
  info->memory_mib = (gint64) (gvir_config_domain_get_memory (domain) / 1024);
  info->vcpus = (gint64) gvir_config_domain_get_vcpus (domain);
  metadata = gvir_config_domain_get_custom_xml (domain, DOMUS_LIBVIRT_METADATA_URI);
  g_strfreev (info->tags);
  info->tags = domus_libvirt_tags_from_metadata (metadata);
  read_devices (info, domain);
  g_object_unref (domain);
  return TRUE;
}

/* On the connection's thread */

static virDomainPtr
lookup (virConnectPtr   conn,
        const char     *name,
        GError        **error)
{
  virDomainPtr dom = domus_libvirt_lookup_domain (conn, name);

  if (dom == NULL)
    domus_libvirt_set_error (error, DOMUS_ERROR_NO_SUCH_DOMAIN);
  return dom;
}

DomusLibvirtDomainInfo *
domus_libvirt_describe_domain (virDomainPtr   dom,
                               GError       **error)
{
  g_autoptr(DomusLibvirtDomainInfo) info = domus_libvirt_domain_info_new ();
  char uuid[VIR_UUID_STRING_BUFLEN];
  unsigned int id = virDomainGetID (dom);
  virDomainInfo vir_info;
  int autostart = 0;
  char *xml;
  gboolean read;

  if (virDomainGetUUIDString (dom, uuid) < 0 ||
      virDomainGetState (dom, &info->vir_state, &info->vir_reason, 0) < 0 ||
      virDomainGetInfo (dom, &vir_info) < 0)
    {
      domus_libvirt_set_error (error, DOMUS_ERROR_FAILED);
      return NULL;
    }
  xml = virDomainGetXMLDesc (dom, 0);
  if (xml == NULL)
    {
      domus_libvirt_set_error (error, DOMUS_ERROR_FAILED);
      return NULL;
    }
  read = domus_libvirt_domain_info_read_xml (info, xml, error);
  free (xml);
  if (!read)
    return NULL;
  g_free (info->uuid);
  info->uuid = g_strdup (uuid);
  info->id = id == (unsigned int) -1 ? -1 : (gint64) id;
  info->state = domus_libvirt_state_from_vir (info->vir_state, info->vir_reason);
  info->cpu_time_ns = (gint64) vir_info.cpuTime;
  info->persistent = virDomainIsPersistent (dom) == 1;
  if (virDomainGetAutostart (dom, &autostart) == 0)
    info->autostart = autostart != 0;
  virResetLastError ();
  return g_steal_pointer (&info);
}

static DomusLibvirtDomainInfo *
unreadable (virDomainPtr  dom,
            const GError *error)
{
  DomusLibvirtDomainInfo *info = domus_libvirt_domain_info_new ();
  char uuid[VIR_UUID_STRING_BUFLEN];

  info->name = g_strdup (virDomainGetName (dom));
  if (virDomainGetUUIDString (dom, uuid) == 0)
    info->uuid = g_strdup (uuid);
  info->error = g_strdup (error->message);
  return info;
}

static void
list_domains_work (DomusLibvirtReply *reply,
                   virConnectPtr      conn,
                   gpointer           task_data,
                   GCancellable      *cancellable)
{
  g_autoptr(GPtrArray) infos = g_ptr_array_new_with_free_func ((GDestroyNotify) domus_libvirt_domain_info_free);
  virDomainPtr *doms = NULL;
  GError *error = NULL;
  int n = virConnectListAllDomains (conn, &doms, 0);

  if (n < 0)
    {
      domus_libvirt_set_error (&error, DOMUS_ERROR_FAILED);
      domus_libvirt_reply_error (reply, error);
      return;
    }
  for (int i = 0; i < n; i++)
    {
      DomusLibvirtDomainInfo *info = domus_libvirt_describe_domain (doms[i], &error);

      /* A transient domain that stopped while we looked is simply not there any more;
       * one that cannot be read is listed as such, with the reason. */
      if (info == NULL && !g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_NO_SUCH_DOMAIN))
        info = unreadable (doms[i], error);
      if (info != NULL)
        g_ptr_array_add (infos, info);
      g_clear_error (&error);
      virDomainFree (doms[i]);
    }
  free (doms);
  domus_libvirt_reply_pointer (reply, g_steal_pointer (&infos), (GDestroyNotify) g_ptr_array_unref);
}

/* The calls */

typedef struct _DomainCall DomainCall;

/* A change to one domain: TRUE, or FALSE with error set (on the connection's thread). */
typedef gboolean (*DomainChange) (virDomainPtr   dom,
                                  DomainCall    *call,
                                  GError       **error);

struct _DomainCall {
  char               *name;
  char               *text;
  DomusLibvirtAction  action;
  gint64              memory_mib;
  gint64              vcpus;
  gboolean            flag;
  GStrv               tags;
  DomainChange        change;
};

static void
domain_call_free (DomainCall *call)
{
  g_free (call->name);
  g_free (call->text);
  g_strfreev (call->tags);
  g_free (call);
}

static DomainCall *
domain_call_new (const char *name)
{
  DomainCall *call = g_new0 (DomainCall, 1);

  call->name = g_strdup (name);
  return call;
}

static void
queue_call (DomusLibvirtConnection *connection,
            DomainCall             *call,
            gpointer                source_tag,
            DomusLibvirtWork        work,
            GCancellable           *cancellable,
            GAsyncReadyCallback     callback,
            gpointer                user_data)
{
  g_autoptr(GTask) task = g_task_new (connection, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, call, (GDestroyNotify) domain_call_free);
  domus_libvirt_connection_run (connection, task, work);
}

/* Looks the domain up, makes the call's change, and answers TRUE or why not. */
static void
change_work (DomusLibvirtReply *reply,
             virConnectPtr      conn,
             gpointer           task_data,
             GCancellable      *cancellable)
{
  DomainCall *call = task_data;
  GError *error = NULL;
  virDomainPtr dom = lookup (conn, call->name, &error);

  if (dom != NULL)
    {
      call->change (dom, call, &error);
      virDomainFree (dom);
    }
  if (error != NULL)
    domus_libvirt_reply_error (reply, error);
  else
    domus_libvirt_reply_boolean (reply, TRUE);
}

static void
queue_change (DomusLibvirtConnection *connection,
              DomainCall             *call,
              DomainChange            change,
              gpointer                source_tag,
              GCancellable           *cancellable,
              GAsyncReadyCallback     callback,
              gpointer                user_data)
{
  call->change = change;
  queue_call (connection, call, source_tag, change_work, cancellable, callback, user_data);
}

static gpointer
finish_pointer (DomusLibvirtConnection  *connection,
                GAsyncResult            *result,
                gpointer                 source_tag,
                GError                 **error)
{
  g_return_val_if_fail (g_task_is_valid (result, connection), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
finish_boolean (DomusLibvirtConnection  *connection,
                GAsyncResult            *result,
                gpointer                 source_tag,
                GError                 **error)
{
  g_return_val_if_fail (g_task_is_valid (result, connection), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
domus_libvirt_list_domains_async (DomusLibvirtConnection *connection,
                                  GCancellable           *cancellable,
                                  GAsyncReadyCallback     callback,
                                  gpointer                user_data)
{
  g_return_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (connection));
  queue_call (connection, domain_call_new (NULL), domus_libvirt_list_domains_async,
              list_domains_work, cancellable, callback, user_data);
}

GPtrArray *
domus_libvirt_list_domains_finish (DomusLibvirtConnection  *connection,
                                   GAsyncResult            *result,
                                   GError                 **error)
{
  return finish_pointer (connection, result, domus_libvirt_list_domains_async, error);
}

static void
list_managed_saves_work (DomusLibvirtReply *reply,
                         virConnectPtr      conn,
                         gpointer           task_data,
                         GCancellable      *cancellable)
{
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  virDomainPtr *doms = NULL;
  GError *error = NULL;
  int n = virConnectListAllDomains (conn, &doms, VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE);

  if (n < 0)
    {
      domus_libvirt_set_error (&error, DOMUS_ERROR_FAILED);
      domus_libvirt_reply_error (reply, error);
      return;
    }
  for (int i = 0; i < n; i++)
    {
      const char *name = virDomainGetName (doms[i]);

      if (name != NULL)
        g_strv_builder_add (names, name);
      virDomainFree (doms[i]);
    }
  free (doms);
  domus_libvirt_reply_pointer (reply, g_strv_builder_end (names), (GDestroyNotify) g_strfreev);
}

void
domus_libvirt_list_managed_saves_async (DomusLibvirtConnection *connection,
                                        GCancellable           *cancellable,
                                        GAsyncReadyCallback     callback,
                                        gpointer                user_data)
{
  g_return_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (connection));
  queue_call (connection, domain_call_new (NULL), domus_libvirt_list_managed_saves_async,
              list_managed_saves_work, cancellable, callback, user_data);
}

GStrv
domus_libvirt_list_managed_saves_finish (DomusLibvirtConnection  *connection,
                                         GAsyncResult            *result,
                                         GError                 **error)
{
  return finish_pointer (connection, result, domus_libvirt_list_managed_saves_async, error);
}

static void
return_info_of (DomusLibvirtReply *reply,
                virDomainPtr       dom)
{
  GError *error = NULL;
  DomusLibvirtDomainInfo *info = domus_libvirt_describe_domain (dom, &error);

  if (info == NULL)
    domus_libvirt_reply_error (reply, error);
  else
    domus_libvirt_reply_pointer (reply, info, (GDestroyNotify) domus_libvirt_domain_info_free);
}

static void
get_domain_work (DomusLibvirtReply *reply,
                 virConnectPtr      conn,
                 gpointer           task_data,
                 GCancellable      *cancellable)
{
  DomainCall *call = task_data;
  GError *error = NULL;
  virDomainPtr dom = lookup (conn, call->name, &error);

  if (dom == NULL)
    {
      domus_libvirt_reply_error (reply, error);
      return;
    }
  return_info_of (reply, dom);
  virDomainFree (dom);
}

void
domus_libvirt_get_domain_async (DomusLibvirtConnection *connection,
                                const char             *name,
                                GCancellable           *cancellable,
                                GAsyncReadyCallback     callback,
                                gpointer                user_data)
{
  g_return_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (connection));
  g_return_if_fail (name != NULL);
  queue_call (connection, domain_call_new (name), domus_libvirt_get_domain_async,
              get_domain_work, cancellable, callback, user_data);
}

DomusLibvirtDomainInfo *
domus_libvirt_get_domain_finish (DomusLibvirtConnection  *connection,
                                 GAsyncResult            *result,
                                 GError                 **error)
{
  return finish_pointer (connection, result, domus_libvirt_get_domain_async, error);
}

/* Lifecycle */

/* A managed save image and snapshot records go with the definition; NVRAM stays. Drivers
 * that know none of these (the test driver) refuse the flags: then a plain undefine. */
static int
undefine (virDomainPtr dom)
{
  virErrorPtr error;

  if (virDomainUndefineFlags (dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                                   VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                                   VIR_DOMAIN_UNDEFINE_KEEP_NVRAM) == 0)
    return 0;
  error = virGetLastError ();
  if (error == NULL || error->code != VIR_ERR_INVALID_ARG)
    return -1;
  return virDomainUndefine (dom);
}

static int
apply_action (virDomainPtr       dom,
              DomusLibvirtAction action)
{
  switch (action)
    {
    case DOMUS_LIBVIRT_ACTION_START:
      return virDomainCreate (dom);
    case DOMUS_LIBVIRT_ACTION_SHUTDOWN:
      return virDomainShutdownFlags (dom, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN);
    case DOMUS_LIBVIRT_ACTION_REBOOT:
      return virDomainReboot (dom, VIR_DOMAIN_REBOOT_ACPI_POWER_BTN);
    case DOMUS_LIBVIRT_ACTION_PAUSE:
      return virDomainSuspend (dom);
    case DOMUS_LIBVIRT_ACTION_RESUME:
      return virDomainResume (dom);
    case DOMUS_LIBVIRT_ACTION_DESTROY:
      return virDomainDestroy (dom);
    case DOMUS_LIBVIRT_ACTION_UNDEFINE:
      return undefine (dom);
    case DOMUS_LIBVIRT_ACTION_MANAGED_SAVE:
      return virDomainManagedSave (dom, 0);
    default:
      g_return_val_if_reached (-1);
    }
}

static gboolean
change_state (virDomainPtr   dom,
              DomainCall    *call,
              GError       **error)
{
  if (apply_action (dom, call->action) == 0)
    return TRUE;
  domus_libvirt_set_error (error, call->action == DOMUS_LIBVIRT_ACTION_START
                                  ? DOMUS_ERROR_ALREADY_RUNNING : DOMUS_ERROR_NOT_RUNNING);
  return FALSE;
}

/* A start that would boot afresh is no restore: only a domain with a managed save is started. */
static gboolean
restore_managed (virDomainPtr   dom,
                 DomainCall    *call,
                 GError       **error)
{
  int saved = virDomainHasManagedSaveImage (dom, 0);

  if (saved == 0)
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_PARAMS,
                   _("%s has no saved state (libvirt’s managed save) to restore."), call->name);
      return FALSE;
    }
  if (saved < 0 || virDomainCreate (dom) < 0)
    {
      domus_libvirt_set_error (error, DOMUS_ERROR_ALREADY_RUNNING);
      return FALSE;
    }
  return TRUE;
}

void
domus_libvirt_domain_action_async (DomusLibvirtConnection *connection,
                                   const char             *name,
                                   DomusLibvirtAction      action,
                                   GCancellable           *cancellable,
                                   GAsyncReadyCallback     callback,
                                   gpointer                user_data)
{
  DomainCall *call;

  g_return_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (connection));
  g_return_if_fail (name != NULL);
  call = domain_call_new (name);
  call->action = action;
  queue_change (connection, call, action == DOMUS_LIBVIRT_ACTION_RESTORE_MANAGED ? restore_managed : change_state,
                domus_libvirt_domain_action_async, cancellable, callback, user_data);
}

gboolean
domus_libvirt_domain_action_finish (DomusLibvirtConnection  *connection,
                                    GAsyncResult            *result,
                                    GError                 **error)
{
  return finish_boolean (connection, result, domus_libvirt_domain_action_async, error);
}

/* XML */

static void
get_xml_work (DomusLibvirtReply *reply,
              virConnectPtr      conn,
              gpointer           task_data,
              GCancellable      *cancellable)
{
  DomainCall *call = task_data;
  GError *error = NULL;
  virDomainPtr dom = lookup (conn, call->name, &error);
  char *xml = NULL;

  if (dom != NULL)
    {
      xml = virDomainGetXMLDesc (dom, call->flag ? VIR_DOMAIN_XML_INACTIVE : 0);
      if (xml == NULL)
        domus_libvirt_set_error (&error, DOMUS_ERROR_FAILED);
      virDomainFree (dom);
    }
  if (xml == NULL)
    {
      domus_libvirt_reply_error (reply, error);
      return;
    }
  domus_libvirt_reply_pointer (reply, g_strdup (xml), g_free);
  free (xml);
}

void
domus_libvirt_get_xml_async (DomusLibvirtConnection *connection,
                             const char             *name,
                             gboolean                inactive,
                             GCancellable           *cancellable,
                             GAsyncReadyCallback     callback,
                             gpointer                user_data)
{
  DomainCall *call;

  g_return_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (connection));
  g_return_if_fail (name != NULL);
  call = domain_call_new (name);
  call->flag = inactive;
  queue_call (connection, call, domus_libvirt_get_xml_async, get_xml_work,
              cancellable, callback, user_data);
}

char *
domus_libvirt_get_xml_finish (DomusLibvirtConnection  *connection,
                              GAsyncResult            *result,
                              GError                 **error)
{
  return finish_pointer (connection, result, domus_libvirt_get_xml_async, error);
}

static void
define_xml_work (DomusLibvirtReply *reply,
                 virConnectPtr      conn,
                 gpointer           task_data,
                 GCancellable      *cancellable)
{
  DomainCall *call = task_data;
  GError *error = NULL;
  virDomainPtr dom = virDomainDefineXML (conn, call->text);

  if (dom == NULL)
    {
      domus_libvirt_set_error (&error, DOMUS_ERROR_INVALID_CONFIG);
      domus_libvirt_reply_error (reply, error);
      return;
    }
  return_info_of (reply, dom);
  virDomainFree (dom);
}

void
domus_libvirt_define_xml_async (DomusLibvirtConnection *connection,
                                const char             *xml,
                                GCancellable           *cancellable,
                                GAsyncReadyCallback     callback,
                                gpointer                user_data)
{
  DomainCall *call;

  g_return_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (connection));
  g_return_if_fail (xml != NULL);
  call = domain_call_new (NULL);
  call->text = g_strdup (xml);
  queue_call (connection, call, domus_libvirt_define_xml_async, define_xml_work,
              cancellable, callback, user_data);
}

DomusLibvirtDomainInfo *
domus_libvirt_define_xml_finish (DomusLibvirtConnection  *connection,
                                 GAsyncResult            *result,
                                 GError                 **error)
{
  return finish_pointer (connection, result, domus_libvirt_define_xml_async, error);
}

/* The configuration form */

/* The maximum first when growing, the current value first when shrinking: libvirt refuses
 * a current value above the maximum at every step. */
static int
set_memory (virDomainPtr dom,
            gint64       memory_mib)
{
  unsigned long kib = (unsigned long) memory_mib * 1024;
  unsigned int config = VIR_DOMAIN_AFFECT_CONFIG;
  unsigned long max_kib = virDomainGetMaxMemory (dom);

  if (kib >= max_kib)
    return virDomainSetMemoryFlags (dom, kib, config | VIR_DOMAIN_MEM_MAXIMUM) < 0 ||
           virDomainSetMemoryFlags (dom, kib, config) < 0 ? -1 : 0;
  return virDomainSetMemoryFlags (dom, kib, config) < 0 ||
         virDomainSetMemoryFlags (dom, kib, config | VIR_DOMAIN_MEM_MAXIMUM) < 0 ? -1 : 0;
}

static int
set_vcpus (virDomainPtr dom,
           gint64       vcpus)
{
  unsigned int config = VIR_DOMAIN_AFFECT_CONFIG;
  int max = virDomainGetVcpusFlags (dom, config | VIR_DOMAIN_VCPU_MAXIMUM);

  if (max < 0)
    return -1;
  if (vcpus >= max)
    return virDomainSetVcpusFlags (dom, (unsigned int) vcpus, config | VIR_DOMAIN_VCPU_MAXIMUM) < 0 ||
           virDomainSetVcpusFlags (dom, (unsigned int) vcpus, config) < 0 ? -1 : 0;
  return virDomainSetVcpusFlags (dom, (unsigned int) vcpus, config) < 0 ||
         virDomainSetVcpusFlags (dom, (unsigned int) vcpus, config | VIR_DOMAIN_VCPU_MAXIMUM) < 0 ? -1 : 0;
}

static gboolean
change_resources (virDomainPtr   dom,
                  DomainCall    *call,
                  GError       **error)
{
  if ((call->memory_mib > 0 && set_memory (dom, call->memory_mib) < 0) ||
      (call->vcpus > 0 && set_vcpus (dom, call->vcpus) < 0))
    {
      domus_libvirt_set_error (error, DOMUS_ERROR_INVALID_PARAMS);
      return FALSE;
    }
  return TRUE;
}

void
domus_libvirt_set_resources_async (DomusLibvirtConnection *connection,
                                   const char             *name,
                                   gint64                  memory_mib,
                                   gint64                  vcpus,
                                   GCancellable           *cancellable,
                                   GAsyncReadyCallback     callback,
                                   gpointer                user_data)
{
  DomainCall *call;

  g_return_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (connection));
  g_return_if_fail (name != NULL);
  call = domain_call_new (name);
  call->memory_mib = memory_mib;
  call->vcpus = vcpus;
  queue_change (connection, call, change_resources, domus_libvirt_set_resources_async,
                cancellable, callback, user_data);
}

gboolean
domus_libvirt_set_resources_finish (DomusLibvirtConnection  *connection,
                                    GAsyncResult            *result,
                                    GError                 **error)
{
  return finish_boolean (connection, result, domus_libvirt_set_resources_async, error);
}

static gboolean
change_autostart (virDomainPtr   dom,
                  DomainCall    *call,
                  GError       **error)
{
  if (virDomainSetAutostart (dom, call->flag ? 1 : 0) == 0)
    return TRUE;
  domus_libvirt_set_error (error, DOMUS_ERROR_FAILED);
  return FALSE;
}

void
domus_libvirt_set_autostart_async (DomusLibvirtConnection *connection,
                                   const char             *name,
                                   gboolean                autostart,
                                   GCancellable           *cancellable,
                                   GAsyncReadyCallback     callback,
                                   gpointer                user_data)
{
  DomainCall *call;

  g_return_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (connection));
  g_return_if_fail (name != NULL);
  call = domain_call_new (name);
  call->flag = autostart;
  queue_change (connection, call, change_autostart, domus_libvirt_set_autostart_async,
                cancellable, callback, user_data);
}

gboolean
domus_libvirt_set_autostart_finish (DomusLibvirtConnection  *connection,
                                    GAsyncResult            *result,
                                    GError                 **error)
{
  return finish_boolean (connection, result, domus_libvirt_set_autostart_async, error);
}

/* Tags */

static gboolean
change_tags (virDomainPtr   dom,
             DomainCall    *call,
             GError       **error)
{
  g_autofree char *metadata = domus_libvirt_tags_to_metadata ((const char * const *) call->tags);
  /* Both definitions: the running one (seen now) and the persistent one (kept). */
  unsigned int flags = VIR_DOMAIN_AFFECT_CURRENT;

  if (virDomainIsActive (dom) == 1)
    flags = VIR_DOMAIN_AFFECT_LIVE | (virDomainIsPersistent (dom) == 1 ? VIR_DOMAIN_AFFECT_CONFIG : 0);
  if (virDomainSetMetadata (dom, VIR_DOMAIN_METADATA_ELEMENT, metadata, DOMUS_LIBVIRT_METADATA_PREFIX,
                            DOMUS_LIBVIRT_METADATA_URI, flags) == 0)
    return TRUE;
  domus_libvirt_set_error (error, DOMUS_ERROR_FAILED);
  return FALSE;
}

void
domus_libvirt_set_tags_async (DomusLibvirtConnection *connection,
                              const char             *name,
                              const char * const     *tags,
                              GCancellable           *cancellable,
                              GAsyncReadyCallback     callback,
                              gpointer                user_data)
{
  DomainCall *call;

  g_return_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (connection));
  g_return_if_fail (name != NULL);
  call = domain_call_new (name);
  call->tags = g_strdupv ((char **) tags);
  queue_change (connection, call, change_tags, domus_libvirt_set_tags_async,
                cancellable, callback, user_data);
}

gboolean
domus_libvirt_set_tags_finish (DomusLibvirtConnection  *connection,
                               GAsyncResult            *result,
                               GError                 **error)
{
  return finish_boolean (connection, result, domus_libvirt_set_tags_async, error);
}
