/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One action on several domains at once.
 *
 * Every item's call is its own: one domain's refusal says nothing about the next, so the
 * lifecycle actions and the tags go out together and each item keeps its host's answer.
 * Migrations go one after another: each moves a guest's whole memory over the network, and
 * two at once would slow both and make the progress list hard to follow. The state a
 * domain must be in is checked again when the run starts (it may have changed while the
 * confirmation was open): a domain that no longer takes the action is skipped, not asked. */

#include "config.h"

#include <inttypes.h>

#include <glib/gi18n.h>

#include "domus-bulk-run.h"
#include "domus-migration.h"
#include "domus-state-text.h"

struct _DomusBulkRun
{
  GObject             parent_instance;

  DomusBulkOperation  operation;
  GPtrArray          *items;            /* DomusBulkItem */
  char               *tag;
  DomusHost          *target;
  gboolean            copy_storage;

  GCancellable       *check_cancellable;
  guint               checks_pending;
  GCancellable       *cancellable;      /* the run's, once started */
  gboolean            started;
  gboolean            running;
  guint               next;             /* migrations: the next item to move */
};

static void domus_bulk_run_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DomusBulkRun, domus_bulk_run, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, domus_bulk_run_list_model_init))

enum {
  PROP_0,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_CHECKED,
  SIGNAL_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Operations */

static const struct {
  const char        *action;
  DomusDomainAction  domain_action;   /* for the lifecycle operations */
} operations[] = {
  [DOMUS_BULK_START]      = { "start",      DOMUS_DOMAIN_ACTION_START },
  [DOMUS_BULK_SHUTDOWN]   = { "shutdown",   DOMUS_DOMAIN_ACTION_SHUTDOWN },
  [DOMUS_BULK_REBOOT]     = { "reboot",     DOMUS_DOMAIN_ACTION_REBOOT },
  [DOMUS_BULK_PAUSE]      = { "pause",      DOMUS_DOMAIN_ACTION_PAUSE },
  [DOMUS_BULK_RESUME]     = { "resume",     DOMUS_DOMAIN_ACTION_RESUME },
  [DOMUS_BULK_DESTROY]    = { "destroy",    DOMUS_DOMAIN_ACTION_DESTROY },
  [DOMUS_BULK_ADD_TAG]    = { "add-tag",    0 },
  [DOMUS_BULK_REMOVE_TAG] = { "remove-tag", 0 },
  [DOMUS_BULK_MIGRATE]    = { "migrate",    0 },
};

static gboolean
is_tag_operation (DomusBulkOperation operation)
{
  return operation == DOMUS_BULK_ADD_TAG || operation == DOMUS_BULK_REMOVE_TAG;
}

gboolean
domus_bulk_operation_accepts (DomusBulkOperation operation,
                              DomusDomainState   state)
{
  gboolean active = state == DOMUS_DOMAIN_STATE_RUNNING || state == DOMUS_DOMAIN_STATE_BLOCKED;

  switch (operation)
    {
    case DOMUS_BULK_START:
      return state == DOMUS_DOMAIN_STATE_SHUTOFF;
    case DOMUS_BULK_SHUTDOWN:
    case DOMUS_BULK_REBOOT:
    case DOMUS_BULK_PAUSE:
      return active;
    case DOMUS_BULK_RESUME:
      return state == DOMUS_DOMAIN_STATE_PAUSED;
    case DOMUS_BULK_DESTROY:
      return active || state == DOMUS_DOMAIN_STATE_PAUSED || state == DOMUS_DOMAIN_STATE_SHUTDOWN
             || state == DOMUS_DOMAIN_STATE_CRASHED || state == DOMUS_DOMAIN_STATE_STARTING;
    case DOMUS_BULK_MIGRATE:
      return active || state == DOMUS_DOMAIN_STATE_PAUSED;
    case DOMUS_BULK_ADD_TAG:
    case DOMUS_BULK_REMOVE_TAG:
      /* The tags are the config's: a config that does not read cannot be changed by value. */
      return state != DOMUS_DOMAIN_STATE_INVALID;
    default:
      return FALSE;
    }
}

const char *
domus_bulk_operation_action_name (DomusBulkOperation operation)
{
  g_return_val_if_fail (operation < G_N_ELEMENTS (operations), NULL);
  return operations[operation].action;
}

gboolean
domus_bulk_operation_from_action (const char         *action_name,
                                  DomusBulkOperation *operation)
{
  for (guint i = 0; i < G_N_ELEMENTS (operations); i++)
    if (g_strcmp0 (operations[i].action, action_name) == 0)
      {
        *operation = i;
        return TRUE;
      }
  return FALSE;
}

/* GListModel */

static GType
run_get_item_type (GListModel *model)
{
  return DOMUS_TYPE_BULK_ITEM;
}

static guint
run_get_n_items (GListModel *model)
{
  return DOMUS_BULK_RUN (model)->items->len;
}

static gpointer
run_get_item (GListModel *model,
              guint       position)
{
  DomusBulkRun *self = DOMUS_BULK_RUN (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
domus_bulk_run_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = run_get_item_type;
  iface->get_n_items = run_get_n_items;
  iface->get_item = run_get_item;
}

/* Which items are acted on */

static DomusBulkItem *
item_at (DomusBulkRun *self,
         guint         i)
{
  return g_ptr_array_index (self->items, i);
}

static DomusHost *
item_host (DomusBulkItem *item)
{
  return domus_domain_get_host (domus_bulk_item_get_domain (item));
}

/* Why the item is not acted on, or NULL when it is. */
static char *
reason_to_skip (DomusBulkRun  *self,
                DomusBulkItem *item)
{
  DomusDomain *domain = domus_bulk_item_get_domain (item);
  DomusHost *host = item_host (item);
  DomusDomainState state = domus_domain_get_state (domain);

  if (host == NULL || domus_host_get_state (host) != DOMUS_HOST_STATE_CONNECTED)
    return g_strdup_printf (_("Not done: %s is not connected."), domus_bulk_item_get_host_name (item));
  if (!domus_bulk_operation_accepts (self->operation, state))
    /* Translators: %s is a domain's state, "shut off". */
    return g_strdup_printf (_("Not done: it is %s."), domus_domain_state_label (state));
  if (self->operation == DOMUS_BULK_ADD_TAG && self->tag != NULL && domus_domain_has_tag (domain, self->tag))
    return g_strdup (_("Not done: it has the tag already."));
  if (self->operation == DOMUS_BULK_REMOVE_TAG && self->tag != NULL && *self->tag != '\0'
      && !domus_domain_has_tag (domain, self->tag))
    return g_strdup (_("Not done: it does not have the tag."));
  if (self->operation == DOMUS_BULK_MIGRATE && host == self->target)
    return g_strdup_printf (_("Not done: it is on %s already."), domus_host_get_name (host));
  return NULL;
}

guint
domus_bulk_run_count_ready (DomusBulkRun *self)
{
  guint n = 0;

  g_return_val_if_fail (DOMUS_IS_BULK_RUN (self), 0);

  for (guint i = 0; i < self->items->len; i++)
    {
      g_autofree char *reason = reason_to_skip (self, item_at (self, i));

      if (reason == NULL && (self->operation != DOMUS_BULK_MIGRATE
                             || domus_bulk_item_get_status (item_at (self, i)) == DOMUS_BULK_STATUS_READY))
        n++;
    }
  return n;
}

void
domus_bulk_run_preview (DomusBulkRun *self)
{
  g_return_if_fail (DOMUS_IS_BULK_RUN (self));
  g_return_if_fail (!self->started);

  for (guint i = 0; i < self->items->len; i++)
    {
      g_autofree char *reason = reason_to_skip (self, item_at (self, i));

      domus_bulk_item_set_status (item_at (self, i), DOMUS_BULK_STATUS_WAITING, reason);
    }
}

guint
domus_bulk_run_count (DomusBulkRun    *self,
                      DomusBulkStatus  status)
{
  guint n = 0;

  g_return_val_if_fail (DOMUS_IS_BULK_RUN (self), 0);

  for (guint i = 0; i < self->items->len; i++)
    if (domus_bulk_item_get_status (item_at (self, i)) == status)
      n++;
  return n;
}

static void
finish_if_over (DomusBulkRun *self)
{
  for (guint i = 0; i < self->items->len; i++)
    if (!domus_bulk_item_is_finished (item_at (self, i)))
      return;
  if (!self->running)
    return;
  self->running = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
}

/* Lifecycle actions and tags: one call each, all at once */

typedef struct {
  DomusBulkRun  *run;
  DomusBulkItem *item;
} ItemCall;

static ItemCall *
item_call_new (DomusBulkRun  *self,
               DomusBulkItem *item)
{
  ItemCall *call = g_new0 (ItemCall, 1);

  call->run = g_object_ref (self);
  call->item = g_object_ref (item);
  return call;
}

static void
item_call_free (ItemCall *call)
{
  g_object_unref (call->run);
  g_object_unref (call->item);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ItemCall, item_call_free)

static const char *
success_message (DomusBulkRun *self)
{
  switch (self->operation)
    {
    case DOMUS_BULK_START:      return _("Started.");
    case DOMUS_BULK_SHUTDOWN:   return _("Asked to shut down.");
    case DOMUS_BULK_REBOOT:     return _("Asked to reboot.");
    case DOMUS_BULK_PAUSE:      return _("Paused.");
    case DOMUS_BULK_RESUME:     return _("Resumed.");
    case DOMUS_BULK_DESTROY:    return _("Destroyed.");
    case DOMUS_BULK_ADD_TAG:    return _("Tag added.");
    case DOMUS_BULK_REMOVE_TAG: return _("Tag removed.");
    case DOMUS_BULK_MIGRATE:
    default:                    return _("Done.");
    }
}

/* The host's answer to one item's call: a lifecycle action's or a tag change's. */
static void
item_call_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(ItemCall) call = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *config = NULL;
  gboolean done;

  if (is_tag_operation (call->run->operation))
    done = (config = domus_host_set_domain_values_finish (DOMUS_HOST (source), result, &error)) != NULL;
  else
    done = domus_host_domain_action_finish (DOMUS_HOST (source), result, NULL, &error);
  if (done)
    domus_bulk_item_set_status (call->item, DOMUS_BULK_STATUS_SUCCEEDED, success_message (call->run));
  else
    domus_bulk_item_set_status (call->item, DOMUS_BULK_STATUS_FAILED, error->message);
  finish_if_over (call->run);
}

/* The domain's tags with the run's tag added or taken out, as the config's `tags` list
 * (an "av"); no tags left: an empty maybe, which removes the key as the config editor
 * does. */
static GVariant *
tag_values (DomusBulkRun *self,
            DomusDomain  *domain)
{
  const char * const *tags = domus_domain_get_tags (domain);
  g_auto(GVariantBuilder) list = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("av"));
  g_auto(GVariantDict) values = G_VARIANT_DICT_INIT (NULL);
  guint n = 0;

  for (guint i = 0; tags[i] != NULL; i++)
    if (self->operation == DOMUS_BULK_ADD_TAG || g_strcmp0 (tags[i], self->tag) != 0)
      {
        g_variant_builder_add (&list, "v", g_variant_new_string (tags[i]));
        n++;
      }
  if (self->operation == DOMUS_BULK_ADD_TAG)
    {
      g_variant_builder_add (&list, "v", g_variant_new_string (self->tag));
      n++;
    }
  g_variant_dict_insert_value (&values, "tags", n > 0 ? g_variant_builder_end (&list)
                                                      : g_variant_new_maybe (G_VARIANT_TYPE_VARIANT, NULL));
  return g_variant_dict_end (&values);
}

static void
call_item (DomusBulkRun  *self,
           DomusBulkItem *item)
{
  DomusDomain *domain = domus_bulk_item_get_domain (item);
  DomusHost *host = domus_domain_get_host (domain);

  domus_bulk_item_set_status (item, DOMUS_BULK_STATUS_RUNNING, NULL);
  if (is_tag_operation (self->operation))
    domus_host_set_domain_values_async (host, domus_domain_get_name (domain), tag_values (self, domain),
                                        self->cancellable, item_call_done, item_call_new (self, item));
  else
    domus_host_domain_action_async (host, domus_domain_get_name (domain),
                                    operations[self->operation].domain_action,
                                    DOMUS_DOMAIN_ACTION_FLAGS_NONE, self->cancellable,
                                    item_call_done, item_call_new (self, item));
}

/* Migrations: checks for all, then one after another */

static DomusMigration *
new_migration (DomusBulkRun  *self,
               DomusBulkItem *item)
{
  DomusMigration *migration = domus_migration_new (item_host (item), self->target,
                                                   domus_bulk_item_get_name (item));

  domus_migration_set_copy_storage (migration, self->copy_storage);
  return migration;
}

/* "Memory: … Disks: …": the failed checks, as the message of a domain that cannot go. */
static char *
failed_checks_text (DomusBulkRun *self,
                    GPtrArray    *checks)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < checks->len; i++)
    {
      const DomusMigrationCheck *check = g_ptr_array_index (checks, i);

      if (check->ok)
        continue;
      if (text->len > 0)
        g_string_append_c (text, ' ');
      /* Translators: a migration target's failed check: "Memory: 512 MiB free, 1024 needed". */
      g_string_append_printf (text, _("%s: %s"), domus_migration_check_label (check->id),
                              check->message != NULL ? check->message : "");
      if (g_strcmp0 (check->id, "disks") == 0 && !self->copy_storage)
        g_string_append_printf (text, " %s", _("Tick “Copy storage” to copy them."));
    }
  return g_string_free (text, FALSE);
}

static void
check_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(ItemCall) call = user_data;
  DomusBulkRun *self = call->run;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) checks = domus_migration_check_finish (DOMUS_MIGRATION (source), result, &error);
  g_autofree char *failed = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* a newer check replaced this one */
  if (checks == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The target could not be asked: %s"), error->message);

      domus_bulk_item_set_status (call->item, DOMUS_BULK_STATUS_FAILED, text);
    }
  else if (*(failed = failed_checks_text (self, checks)) != '\0')
    domus_bulk_item_set_status (call->item, DOMUS_BULK_STATUS_FAILED, failed);
  else
    domus_bulk_item_set_status (call->item, DOMUS_BULK_STATUS_READY, _("The target’s checks passed."));
  if (--self->checks_pending == 0)
    g_signal_emit (self, signals[SIGNAL_CHECKED], 0);
}

void
domus_bulk_run_check (DomusBulkRun *self)
{
  g_return_if_fail (DOMUS_IS_BULK_RUN (self));
  g_return_if_fail (self->operation == DOMUS_BULK_MIGRATE && !self->started);

  g_cancellable_cancel (self->check_cancellable);
  g_clear_object (&self->check_cancellable);
  self->check_cancellable = g_cancellable_new ();
  self->checks_pending = 0;
  for (guint i = 0; i < self->items->len; i++)
    {
      DomusBulkItem *item = item_at (self, i);
      g_autofree char *reason = self->target != NULL ? reason_to_skip (self, item) : NULL;
      g_autoptr(DomusMigration) migration = NULL;

      if (self->target == NULL || reason != NULL)
        {
          domus_bulk_item_set_status (item, DOMUS_BULK_STATUS_WAITING, reason);
          continue;
        }
      domus_bulk_item_set_status (item, DOMUS_BULK_STATUS_CHECKING, _("Asking the target…"));
      self->checks_pending++;
      migration = new_migration (self, item);
      domus_migration_check_async (migration, self->check_cancellable, check_done, item_call_new (self, item));
    }
  if (self->checks_pending == 0)
    g_signal_emit (self, signals[SIGNAL_CHECKED], 0);
}

static void migrate_next (DomusBulkRun *self);

static void
migration_stage_changed (DomusMigration *migration,
                         GParamSpec     *pspec,
                         DomusBulkItem  *item)
{
  DomusMigrationStage stage = domus_migration_get_stage (migration);

  /* How it ended comes from the run's answer (migration_done). */
  if (stage == DOMUS_MIGRATION_STAGE_IDLE || stage == DOMUS_MIGRATION_STAGE_DONE
      || stage == DOMUS_MIGRATION_STAGE_FAILED)
    return;
  domus_bulk_item_set_status (item, DOMUS_BULK_STATUS_RUNNING, domus_migration_stage_label (stage));
}

static void
migration_progress (DomusMigration               *migration,
                    const DomusMigrationProgress *p,
                    DomusBulkItem                *item)
{
  g_autofree char *text = NULL;
  double done;

  if (p->total_bytes == 0)
    return;
  done = 1.0 - (double) MIN (p->remaining_bytes, p->total_bytes) / (double) p->total_bytes;
  /* Translators: a migration's progress in the bulk list; %.0f%% is "45%". */
  text = g_strdup_printf (_("Sending… %.0f%%"), CLAMP (done, 0.0, 1.0) * 100.0);
  domus_bulk_item_set_status (item, DOMUS_BULK_STATUS_RUNNING, text);
}

static void
migration_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(ItemCall) call = user_data;
  DomusMigration *migration = DOMUS_MIGRATION (source);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  g_signal_handlers_disconnect_by_data (migration, call->item);
  if (domus_migration_run_finish (migration, result, &error))
    {
      text = g_strdup_printf (_("Now on %s (downtime %" PRIu64 " ms)."),
                              domus_host_get_name (call->run->target),
                              domus_migration_get_downtime_ms (migration));
      domus_bulk_item_set_status (call->item, DOMUS_BULK_STATUS_SUCCEEDED, text);
    }
  else if (g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_MIGRATION_CANCELLED))
    {
      text = g_strdup_printf (_("Cancelled: it keeps running on %s."), domus_bulk_item_get_host_name (call->item));
      domus_bulk_item_set_status (call->item, DOMUS_BULK_STATUS_SKIPPED, text);
    }
  else
    domus_bulk_item_set_status (call->item, DOMUS_BULK_STATUS_FAILED, error->message);
  migrate_next (call->run);
}

static void
migrate_next (DomusBulkRun *self)
{
  while (self->next < self->items->len)
    {
      DomusBulkItem *item = item_at (self, self->next++);
      g_autofree char *reason = NULL;
      g_autoptr(DomusMigration) migration = NULL;

      if (domus_bulk_item_is_finished (item))
        continue;
      if (g_cancellable_is_cancelled (self->cancellable))
        {
          domus_bulk_item_set_status (item, DOMUS_BULK_STATUS_SKIPPED, _("Cancelled before it started."));
          continue;
        }
      reason = reason_to_skip (self, item);
      if (reason != NULL)
        {
          domus_bulk_item_set_status (item, DOMUS_BULK_STATUS_SKIPPED, reason);
          continue;
        }
      migration = new_migration (self, item);
      g_signal_connect (migration, "notify::stage", G_CALLBACK (migration_stage_changed), item);
      g_signal_connect (migration, "progress", G_CALLBACK (migration_progress), item);
      domus_bulk_item_set_status (item, DOMUS_BULK_STATUS_RUNNING, _("Checking…"));
      domus_migration_run_async (migration, self->cancellable, migration_done, item_call_new (self, item));
      return;
    }
  finish_if_over (self);
}

/* Running */

void
domus_bulk_run_start (DomusBulkRun *self)
{
  g_return_if_fail (DOMUS_IS_BULK_RUN (self));
  g_return_if_fail (!self->started);
  g_return_if_fail (self->operation != DOMUS_BULK_MIGRATE || self->target != NULL);
  g_return_if_fail ((self->operation != DOMUS_BULK_ADD_TAG && self->operation != DOMUS_BULK_REMOVE_TAG)
                    || self->tag != NULL);

  self->started = TRUE;
  self->running = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_cancellable_cancel (self->check_cancellable);
  self->cancellable = g_cancellable_new ();

  if (self->operation == DOMUS_BULK_MIGRATE)
    {
      /* Those the target refused stay refused: the run does not ask again. */
      for (guint i = 0; i < self->items->len; i++)
        if (domus_bulk_item_get_status (item_at (self, i)) != DOMUS_BULK_STATUS_READY
            && domus_bulk_item_get_status (item_at (self, i)) != DOMUS_BULK_STATUS_FAILED)
          domus_bulk_item_set_status (item_at (self, i), DOMUS_BULK_STATUS_WAITING,
                                      _("Waiting for the ones before it."));
      migrate_next (self);
      return;
    }
  for (guint i = 0; i < self->items->len; i++)
    {
      DomusBulkItem *item = item_at (self, i);
      g_autofree char *reason = reason_to_skip (self, item);

      if (reason != NULL)
        domus_bulk_item_set_status (item, DOMUS_BULK_STATUS_SKIPPED, reason);
      else
        call_item (self, item);
    }
  finish_if_over (self);
}

void
domus_bulk_run_cancel (DomusBulkRun *self)
{
  g_return_if_fail (DOMUS_IS_BULK_RUN (self));

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->check_cancellable);
}

gboolean
domus_bulk_run_get_running (DomusBulkRun *self)
{
  g_return_val_if_fail (DOMUS_IS_BULK_RUN (self), FALSE);
  return self->running;
}

/* Construction */

DomusBulkRun *
domus_bulk_run_new (DomusBulkOperation  operation,
                    GPtrArray          *domains)
{
  DomusBulkRun *self;

  g_return_val_if_fail (operation < G_N_ELEMENTS (operations), NULL);
  g_return_val_if_fail (domains != NULL, NULL);

  self = g_object_new (DOMUS_TYPE_BULK_RUN, NULL);
  self->operation = operation;
  for (guint i = 0; i < domains->len; i++)
    g_ptr_array_add (self->items, domus_bulk_item_new (g_ptr_array_index (domains, i)));
  return self;
}

DomusBulkOperation
domus_bulk_run_get_operation (DomusBulkRun *self)
{
  g_return_val_if_fail (DOMUS_IS_BULK_RUN (self), DOMUS_BULK_START);
  return self->operation;
}

void
domus_bulk_run_set_tag (DomusBulkRun *self,
                        const char   *tag)
{
  g_return_if_fail (DOMUS_IS_BULK_RUN (self));
  g_return_if_fail (!self->started);

  g_free (self->tag);
  self->tag = g_strdup (tag);
}

void
domus_bulk_run_set_target (DomusBulkRun *self,
                           DomusHost    *target)
{
  g_return_if_fail (DOMUS_IS_BULK_RUN (self));
  g_return_if_fail (!self->started);

  g_set_object (&self->target, target);
}

void
domus_bulk_run_set_copy_storage (DomusBulkRun *self,
                                 gboolean      copy_storage)
{
  g_return_if_fail (DOMUS_IS_BULK_RUN (self));
  g_return_if_fail (!self->started);

  self->copy_storage = copy_storage;
}

static void
domus_bulk_run_dispose (GObject *object)
{
  DomusBulkRun *self = DOMUS_BULK_RUN (object);

  g_cancellable_cancel (self->check_cancellable);
  g_clear_object (&self->check_cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->target);

  G_OBJECT_CLASS (domus_bulk_run_parent_class)->dispose (object);
}

static void
domus_bulk_run_finalize (GObject *object)
{
  DomusBulkRun *self = DOMUS_BULK_RUN (object);

  g_ptr_array_unref (self->items);
  g_free (self->tag);

  G_OBJECT_CLASS (domus_bulk_run_parent_class)->finalize (object);
}

static void
domus_bulk_run_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  DomusBulkRun *self = DOMUS_BULK_RUN (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_bulk_run_class_init (DomusBulkRunClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = domus_bulk_run_dispose;
  object_class->finalize = domus_bulk_run_finalize;
  object_class->get_property = domus_bulk_run_get_property;

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_CHECKED] =
    g_signal_new ("checked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
domus_bulk_run_init (DomusBulkRun *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}
