/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The server page's top table and image store on a real domusd (and one QEMU), under Xvfb. */

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "gui-test-util.h"

#include "domus-image-store.h"
#include "domus-top-table.h"

#define HOST_NAME "server-test-host"
#define GIB (G_GUINT64_CONSTANT (1) << 30)

/* Started here, ended by PID: Xvfb and domusd also die with us (PR_SET_PDEATHSIG); the
 * guest's QEMU outlives its daemon by design, so a failed assertion kills it by hand. */
static GSubprocess *xvfb;
static GSubprocess *daemon_process;
static volatile sig_atomic_t daemon_pid;
static volatile sig_atomic_t qemu_pid;

static char *root;
static char *guest_dir;
static DomusHost *host;
static GtkWidget *window;
static DomusTopTable *table;
static DomusImageStore *store;

/* A failed g_assert aborts, g_error traps, meson's timeout sends SIGTERM: none of them may
 * leave a QEMU behind. */
static void
on_fatal_signal (int signum)
{
  /* The daemon first: it would restart a QEMU that went away without it. */
  if (daemon_pid > 0)
    kill (daemon_pid, SIGKILL);
  if (qemu_pid > 0)
    kill (qemu_pid, SIGKILL);
  signal (signum, SIG_DFL);
  raise (signum);
}

static void
start_daemon (void)
{
  g_autofree char *domusd = g_build_filename (g_getenv ("DOMUS_BUILD_DIR"), "hvcore", "domusd", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, gui_test_die_with_parent, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "DOMUS_ACCEL", "tcg", TRUE);
  daemon_process = g_subprocess_launcher_spawn (launcher, &error, domusd, "--root", root, "--name", HOST_NAME,
                                                "--stats-interval", "200", NULL);
  g_assert_no_error (error);
  daemon_pid = atoi (g_subprocess_get_identifier (daemon_process));
}

/* Calls through the host's typed calls, as the window's other parts do */

static void
on_answer (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_answer (GAsyncResult **result)
{
  GUI_TEST_WAIT_FOR (*result != NULL);
  return *result;
}

/* Starts, destroys (… any DomusDomainAction) a domain; fails the test on an error. */
static void
act_on (const char        *name,
        DomusDomainAction  action)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  domus_host_domain_action_async (host, name, action, DOMUS_DOMAIN_ACTION_FLAGS_NONE, NULL, on_answer, &result);
  domus_host_domain_action_finish (host, wait_answer (&result), NULL, &error);
  g_assert_no_error (error);
}

static void
undefine (const char *name)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  domus_host_undefine_domain_async (host, name, NULL, on_answer, &result);
  domus_host_undefine_domain_finish (host, wait_answer (&result), &error);
  g_assert_no_error (error);
}

static void
set_vcpus (const char *name,
           gint64      vcpus)
{
  g_auto(GVariantDict) values = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  g_variant_dict_insert (&values, "vcpus", "x", vcpus);
  domus_host_set_domain_values_async (host, name, g_variant_dict_end (&values), NULL, on_answer, &result);
  text = domus_host_set_domain_values_finish (host, wait_answer (&result), &error);
  g_assert_no_error (error);
}

static void
define_domain (const char *name,
               const char *extra)
{
  g_autofree char *kernel = g_build_filename (guest_dir, "vmlinuz", NULL);
  g_autofree char *ramdisk = g_build_filename (guest_dir, "initrd.img", NULL);
  g_autofree char *config = g_strdup_printf ("name = '%s'\nkernel = '%s'\nramdisk = '%s'\n"
                                             "extra = 'console=ttyS0'\nmemory = 128\nvcpus = 1\n"
                                             "on_poweroff = 'destroy'\non_crash = 'destroy'\n%s",
                                             name, kernel, ramdisk, extra);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusDomainInfo) info = NULL;

  domus_host_define_domain_async (host, config, name, NULL, on_answer, &result);
  info = domus_host_define_domain_finish (host, wait_answer (&result), &error);
  g_assert_no_error (error);
}

/* With TEST_SERVER_PNG=DIR, what the window looks like, to check the layout by eye. */
static void
save_screenshot (const char *name)
{
  const char *dir = g_getenv ("TEST_SERVER_PNG");
  g_autofree char *path = NULL;
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  GdkWindow *gdk_window = gtk_widget_get_window (window);

  if (dir == NULL)
    return;
  /* Let the window draw what the last changes asked for, info bar animations included. */
  {
    gint64 until = g_get_monotonic_time () + 600 * G_TIME_SPAN_MILLISECOND;

    while (g_get_monotonic_time () < until)
      g_main_context_iteration (NULL, FALSE);
  }
  gdk_display_sync (gdk_display_get_default ());
  pixbuf = gdk_pixbuf_get_from_window (gdk_window, 0, 0, gdk_window_get_width (gdk_window),
                                       gdk_window_get_height (gdk_window));
  path = g_strdup_printf ("%s/%s.png", dir, name);
  if (pixbuf != NULL)
    gdk_pixbuf_save (pixbuf, path, "png", NULL, NULL);
}

/* The top table */

static gboolean
cell_is (DomusDomain         *domain,
         DomusTopTableColumn  column,
         const char          *expected)
{
  g_autofree char *text = domus_top_table_get_cell_text (table, domain, column);

  return g_strcmp0 (text, expected) == 0;
}

static double
cell_number (DomusDomain         *domain,
             DomusTopTableColumn  column)
{
  g_autofree char *text = domus_top_table_get_cell_text (table, domain, column);

  return text != NULL ? g_ascii_strtod (text, NULL) : -1;
}

static void
on_open_domain (DomusTopTable *source,
                DomusDomain   *domain,
                GPtrArray     *opened)
{
  g_ptr_array_add (opened, domain);
}

static GtkTreeViewColumn *
column_titled (const char *title)
{
  g_autoptr(GList) columns = gtk_tree_view_get_columns (domus_top_table_get_tree_view (table));

  for (GList *l = columns; l != NULL; l = l->next)
    if (g_strcmp0 (gtk_tree_view_column_get_title (l->data), title) == 0)
      return l->data;
  return NULL;
}

static void
test_top_table (void)
{
  GtkTreeView *view = domus_top_table_get_tree_view (table);
  GtkTreeSortable *sortable = GTK_TREE_SORTABLE (gtk_tree_view_get_model (view));
  g_autoptr(GPtrArray) opened = g_ptr_array_new ();
  g_autofree char *pid_path = NULL;
  g_autofree char *pid_text = NULL;
  g_autoptr(GtkTreePath) first = gtk_tree_path_new_first ();
  DomusDomain *alpha, *zeta;
  int sort_column;
  GtkSortType order;

  /* What a screen reader says of the view and its headers. */
  g_assert_cmpstr (atk_object_get_name (gtk_widget_get_accessible (GTK_WIDGET (view))), ==,
                   "Domains of " HOST_NAME);
  g_assert_nonnull (column_titled ("CPU %"));
  g_assert_cmpstr (atk_object_get_name (gtk_widget_get_accessible (gtk_tree_view_column_get_button (column_titled ("CPU %")))),
                   ==, "CPU %");
  g_assert_cmpuint (domus_top_table_get_n_rows (table), ==, 0);

  /* A defined domain gets its row: off, nothing used, vCPUs from its config. */
  define_domain ("alpha", "");
  GUI_TEST_WAIT_FOR (domus_top_table_get_n_rows (table) == 1);
  alpha = domus_host_lookup_domain (host, "alpha");
  g_assert_nonnull (alpha);
  g_assert_true (domus_top_table_get_row_domain (table, 0) == alpha);
  g_assert_true (cell_is (alpha, DOMUS_TOP_TABLE_COLUMN_NAME, "alpha"));
  /* The defined event brings the row; the domain's figures follow from domain.get. */
  GUI_TEST_WAIT_FOR (cell_is (alpha, DOMUS_TOP_TABLE_COLUMN_VCPUS, "1"));
  g_assert_true (cell_is (alpha, DOMUS_TOP_TABLE_COLUMN_STATE, "shut off"));
  g_assert_true (cell_is (alpha, DOMUS_TOP_TABLE_COLUMN_CPU_PERCENT, "0.0"));
  g_assert_true (cell_is (alpha, DOMUS_TOP_TABLE_COLUMN_MEMORY, "0"));
  g_assert_true (cell_is (alpha, DOMUS_TOP_TABLE_COLUMN_NET_RX, "—"));
  g_assert_true (cell_is (alpha, DOMUS_TOP_TABLE_COLUMN_NET_TX, "—"));

  /* A config change reaches the row through the domain's notify. */
  set_vcpus ("alpha", 2);
  GUI_TEST_WAIT_FOR (cell_is (alpha, DOMUS_TOP_TABLE_COLUMN_VCPUS, "2"));

  /* Busiest first; equal figures in name order. */
  define_domain ("zeta", "");
  GUI_TEST_WAIT_FOR (domus_top_table_get_n_rows (table) == 2);
  zeta = domus_host_lookup_domain (host, "zeta");
  g_assert_true (gtk_tree_sortable_get_sort_column_id (sortable, &sort_column, &order));
  g_assert_cmpint (sort_column, ==, DOMUS_TOP_TABLE_COLUMN_CPU_PERCENT);
  g_assert_cmpint (order, ==, GTK_SORT_DESCENDING);
  g_assert_true (domus_top_table_get_row_domain (table, 0) == alpha);
  g_assert_true (domus_top_table_get_row_domain (table, 1) == zeta);

  /* zeta runs: its figures come with the stats samples and it goes to the top. */
  act_on ("zeta", DOMUS_DOMAIN_ACTION_START);
  pid_path = g_build_filename (root, "run", "zeta", "qemu.pid", NULL);
  g_assert_true (g_file_get_contents (pid_path, &pid_text, NULL, NULL));
  qemu_pid = atoi (pid_text);
  g_assert_cmpint (qemu_pid, >, 0);
  GUI_TEST_WAIT_FOR (cell_is (zeta, DOMUS_TOP_TABLE_COLUMN_STATE, "running") || cell_is (zeta, DOMUS_TOP_TABLE_COLUMN_STATE, "blocked"));
  GUI_TEST_WAIT_FOR (cell_number (zeta, DOMUS_TOP_TABLE_COLUMN_MEMORY) > 0
            && cell_number (zeta, DOMUS_TOP_TABLE_COLUMN_CPU_TIME) > 0
            && cell_number (zeta, DOMUS_TOP_TABLE_COLUMN_CPU_PERCENT) > 0);
  g_assert_true (domus_top_table_get_row_domain (table, 0) == zeta);
  save_screenshot ("top-table");
  /* User-mode networking: the host cannot count the guest's traffic. */
  g_assert_true (cell_is (zeta, DOMUS_TOP_TABLE_COLUMN_NET_RX, "—"));
  g_assert_cmpfloat (cell_number (zeta, DOMUS_TOP_TABLE_COLUMN_DISK_READ), >=, 0);

  /* A header click sorts by that column, a second one reverses it. */
  gtk_tree_view_column_clicked (column_titled ("Name"));
  g_assert_true (gtk_tree_sortable_get_sort_column_id (sortable, &sort_column, &order));
  g_assert_cmpint (sort_column, ==, DOMUS_TOP_TABLE_COLUMN_NAME);
  g_assert_true (domus_top_table_get_row_domain (table, 0) == alpha);
  gtk_tree_view_column_clicked (column_titled ("Name"));
  g_assert_true (domus_top_table_get_row_domain (table, 0) == zeta);
  gtk_tree_view_column_clicked (column_titled ("Memory (MiB)"));
  gtk_tree_view_column_clicked (column_titled ("Memory (MiB)"));
  g_assert_true (gtk_tree_sortable_get_sort_column_id (sortable, &sort_column, &order));
  g_assert_cmpint (sort_column, ==, DOMUS_TOP_TABLE_COLUMN_MEMORY);
  g_assert_true (domus_top_table_get_row_domain (table, 0) == zeta);
  gtk_tree_view_column_clicked (column_titled ("vCPUs"));
  gtk_tree_view_column_clicked (column_titled ("vCPUs"));
  g_assert_true (domus_top_table_get_row_domain (table, 0) == alpha);

  /* Activating a row (double click, Enter) asks for the domain's page. */
  g_signal_connect (table, "open-domain", G_CALLBACK (on_open_domain), opened);
  gtk_tree_view_row_activated (view, first, column_titled ("Name"));
  g_assert_cmpuint (opened->len, ==, 1);
  g_assert_true (g_ptr_array_index (opened, 0) == alpha);
  g_signal_handlers_disconnect_by_func (table, on_open_domain, opened);

  /* Destroyed: off again, its figures back to nothing. */
  act_on ("zeta", DOMUS_DOMAIN_ACTION_DESTROY);
  GUI_TEST_WAIT_FOR (cell_is (zeta, DOMUS_TOP_TABLE_COLUMN_STATE, "shut off"));
  GUI_TEST_WAIT_FOR (cell_is (zeta, DOMUS_TOP_TABLE_COLUMN_MEMORY, "0"));
  GUI_TEST_WAIT_FOR (kill (qemu_pid, 0) != 0);
  qemu_pid = 0;

  /* Undefined: the row goes. */
  undefine ("zeta");
  GUI_TEST_WAIT_FOR (domus_top_table_get_n_rows (table) == 1);
  g_assert_true (domus_top_table_get_row_domain (table, 0) == alpha);
  undefine ("alpha");
  GUI_TEST_WAIT_FOR (domus_top_table_get_n_rows (table) == 0);
}

/* The image store */

static void
find_widgets (GtkWidget *widget,
              GType      type,
              GPtrArray *found)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    g_ptr_array_add (found, widget);
  if (GTK_IS_CONTAINER (widget))
    {
      g_autoptr(GList) children = gtk_container_get_children (GTK_CONTAINER (widget));

      for (GList *l = children; l != NULL; l = l->next)
        find_widgets (l->data, type, found);
    }
}

static GtkWidget *
find_button (GtkWidget  *widget,
             const char *label)
{
  g_autoptr(GPtrArray) buttons = g_ptr_array_new ();

  find_widgets (widget, GTK_TYPE_BUTTON, buttons);
  for (guint i = 0; i < buttons->len; i++)
    if (g_strcmp0 (gtk_button_get_label (g_ptr_array_index (buttons, i)), label) == 0)
      return g_ptr_array_index (buttons, i);
  return NULL;
}

static char *
image_column (const char            *name,
              DomusImageStoreColumn  column)
{
  GtkTreeModel *model = gtk_tree_view_get_model (domus_image_store_get_tree_view (store));
  GtkTreeIter iter;
  gboolean valid;

  for (valid = gtk_tree_model_get_iter_first (model, &iter); valid; valid = gtk_tree_model_iter_next (model, &iter))
    {
      g_autofree char *row_name = NULL;
      char *value = NULL;

      gtk_tree_model_get (model, &iter, DOMUS_IMAGE_STORE_COLUMN_NAME, &row_name, column, &value, -1);
      if (g_strcmp0 (row_name, name) == 0)
        return value;
      g_free (value);
    }
  return NULL;
}

static gboolean
image_column_is (const char            *name,
                 DomusImageStoreColumn  column,
                 const char            *expected)
{
  g_autofree char *value = image_column (name, column);

  return g_strcmp0 (value, expected) == 0;
}

static gboolean
select_image (const char *name)
{
  GtkTreeView *view = domus_image_store_get_tree_view (store);
  GtkTreeModel *model = gtk_tree_view_get_model (view);
  GtkTreeIter iter;
  gboolean valid;

  for (valid = gtk_tree_model_get_iter_first (model, &iter); valid; valid = gtk_tree_model_iter_next (model, &iter))
    {
      g_autofree char *row_name = NULL;

      gtk_tree_model_get (model, &iter, DOMUS_IMAGE_STORE_COLUMN_NAME, &row_name, -1);
      if (g_strcmp0 (row_name, name) == 0)
        {
          gtk_tree_selection_select_iter (gtk_tree_view_get_selection (view), &iter);
          return TRUE;
        }
    }
  return FALSE;
}

static GtkDialog *
shown_message_dialog (void)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (GTK_IS_MESSAGE_DIALOG (l->data) && gtk_widget_get_visible (l->data))
      return l->data;
  return NULL;
}

typedef struct {
  gboolean  done;
  gboolean  ok;
  GError   *error;
} Change;

static void
on_created (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Change *change = user_data;

  change->ok = domus_image_store_create_finish (DOMUS_IMAGE_STORE (source), result, &change->error);
  change->done = TRUE;
}

static void
on_deleted (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Change *change = user_data;

  change->ok = domus_image_store_delete_finish (DOMUS_IMAGE_STORE (source), result, &change->error);
  change->done = TRUE;
}

static void
create_image (const char *name,
              const char *format,
              guint64     size_bytes,
              Change     *change)
{
  memset (change, 0, sizeof *change);
  domus_image_store_create_async (store, name, format, size_bytes, NULL, on_created, change);
  GUI_TEST_WAIT_FOR (change->done);
}

static void
delete_image (const char *name,
              Change     *change)
{
  memset (change, 0, sizeof *change);
  domus_image_store_delete_async (store, name, NULL, on_deleted, change);
  GUI_TEST_WAIT_FOR (change->done);
}

static void
test_image_store_create_delete (void)
{
  GtkWidget *create_button = find_button (GTK_WIDGET (store), "_Create…");
  GtkWidget *delete_button = find_button (GTK_WIDGET (store), "_Delete…");
  GtkWidget *popover, *entry, *confirm;
  g_autoptr(GPtrArray) found = g_ptr_array_new ();
  g_autofree char *problem = NULL;
  GtkDialog *dialog;
  Change change = { 0 };

  /* Mapped and connected: the list has been read, and it is empty. */
  GUI_TEST_WAIT_FOR (domus_image_store_get_n_refreshes (store) > 0);
  g_assert_false (domus_image_store_has_image (store, "disk-a"));
  g_assert_cmpstr (atk_object_get_name (gtk_widget_get_accessible (GTK_WIDGET (domus_image_store_get_tree_view (store)))),
                   ==, "Images on " HOST_NAME);
  g_assert_true (GTK_IS_MENU_BUTTON (create_button));
  g_assert_true (gtk_widget_get_sensitive (create_button));
  g_assert_nonnull (delete_button);
  g_assert_false (gtk_widget_get_sensitive (delete_button));

  /* The Create popover checks the name as it is typed. */
  popover = GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (create_button)));
  g_assert_nonnull (popover);
  gtk_button_clicked (GTK_BUTTON (create_button));
  find_widgets (popover, GTK_TYPE_ENTRY, found);
  /* The name's entry; the size's spin button is an entry too. */
  entry = NULL;
  for (guint i = 0; i < found->len; i++)
    if (!GTK_IS_SPIN_BUTTON (g_ptr_array_index (found, i)))
      entry = g_ptr_array_index (found, i);
  g_assert_nonnull (entry);
  confirm = find_button (popover, "C_reate Image");
  g_assert_nonnull (confirm);
  g_assert_false (gtk_widget_get_sensitive (confirm));
  gtk_entry_set_text (GTK_ENTRY (entry), "bad/name");
  g_assert_false (gtk_widget_get_sensitive (confirm));
  gtk_entry_set_text (GTK_ENTRY (entry), ".hidden");
  g_assert_false (gtk_widget_get_sensitive (confirm));
  g_ptr_array_set_size (found, 0);
  find_widgets (popover, GTK_TYPE_SPIN_BUTTON, found);
  g_assert_cmpuint (found->len, ==, 1);
  gtk_spin_button_set_value (g_ptr_array_index (found, 0), 1.0);
  gtk_entry_set_text (GTK_ENTRY (entry), "disk-a");
  g_assert_true (gtk_widget_get_sensitive (confirm));

  /* Create, as the user does it: the image appears, qcow2 of 1 GiB. */
  gtk_button_clicked (GTK_BUTTON (confirm));
  GUI_TEST_WAIT_FOR (domus_image_store_has_image (store, "disk-a"));
  g_assert_true (image_column_is ("disk-a", DOMUS_IMAGE_STORE_COLUMN_FORMAT, "qcow2"));
  g_assert_true (image_column_is ("disk-a", DOMUS_IMAGE_STORE_COLUMN_SIZE_TEXT, "1.0\u00a0GiB" /* GLib puts a no-break space */));
  g_assert_true (image_column_is ("disk-a", DOMUS_IMAGE_STORE_COLUMN_USED_BY, "—"));
  GUI_TEST_WAIT_FOR (!gtk_widget_get_visible (popover));
  g_assert_cmpstr (gtk_entry_get_text (GTK_ENTRY (entry)), ==, "");
  g_assert_null (domus_image_store_get_error_message (store));

  /* The name is taken now: the popover says so before the daemon would. */
  problem = domus_image_store_check_name (store, "disk-a");
  g_assert_nonnull (problem);
  g_assert_null (domus_image_store_check_name (store, "disk-b"));

  /* The same path the popover takes, called directly. */
  create_image ("disk-b", "raw", 64 * 1024 * 1024, &change);
  g_assert_no_error (change.error);
  g_assert_true (change.ok);
  GUI_TEST_WAIT_FOR (domus_image_store_has_image (store, "disk-b"));
  g_assert_true (image_column_is ("disk-b", DOMUS_IMAGE_STORE_COLUMN_FORMAT, "raw"));
  g_assert_true (image_column_is ("disk-b", DOMUS_IMAGE_STORE_COLUMN_SIZE_TEXT, "64.0\u00a0MiB"));

  /* The daemon's refusal shows in the info bar. */
  create_image ("disk-b", "raw", 64 * 1024 * 1024, &change);
  g_assert_false (change.ok);
  g_assert_error (change.error, DOMUS_ERROR, DOMUS_ERROR_ALREADY_EXISTS);
  g_assert_cmpstr (domus_image_store_get_error_message (store), ==, change.error->message);
  g_clear_error (&change.error);

  /* Delete through the button: asked first (without a nested loop), then gone. */
  g_assert_true (select_image ("disk-b"));
  g_assert_true (gtk_widget_get_sensitive (delete_button));
  g_assert_null (shown_message_dialog ());
  gtk_button_clicked (GTK_BUTTON (delete_button));
  dialog = shown_message_dialog ();
  g_assert_nonnull (dialog);
  gtk_dialog_response (dialog, GTK_RESPONSE_CANCEL);
  g_assert_null (shown_message_dialog ());
  g_assert_true (domus_image_store_has_image (store, "disk-b"));
  gtk_button_clicked (GTK_BUTTON (delete_button));
  dialog = shown_message_dialog ();
  g_assert_nonnull (dialog);
  gtk_dialog_response (dialog, GTK_RESPONSE_ACCEPT);
  GUI_TEST_WAIT_FOR (!domus_image_store_has_image (store, "disk-b"));
  /* A new action took the old message away. */
  g_assert_null (domus_image_store_get_error_message (store));
  g_assert_false (gtk_widget_get_sensitive (delete_button));

  delete_image ("disk-a", &change);
  g_assert_no_error (change.error);
  GUI_TEST_WAIT_FOR (!domus_image_store_has_image (store, "disk-a"));
}

static void
test_image_store_in_use (void)
{
  g_autofree char *path = NULL;
  g_autofree char *disk = NULL;
  Change change = { 0 };

  create_image ("disk-u", "raw", 64 * 1024 * 1024, &change);
  g_assert_no_error (change.error);
  GUI_TEST_WAIT_FOR (domus_image_store_has_image (store, "disk-u"));
  path = image_column ("disk-u", DOMUS_IMAGE_STORE_COLUMN_PATH);
  g_assert_true (path != NULL && g_path_is_absolute (path));

  /* A domain that has it as a disk: the list says so once the domain is defined. */
  disk = g_strdup_printf ("disk = [ 'file:%s,xvda,w' ]\n", path);
  define_domain ("user", disk);
  GUI_TEST_WAIT_FOR (image_column_is ("disk-u", DOMUS_IMAGE_STORE_COLUMN_USED_BY, "user"));
  create_image ("disk-v", "qcow2", 2 * GIB, &change);
  g_assert_no_error (change.error);
  GUI_TEST_WAIT_FOR (domus_image_store_has_image (store, "disk-v"));

  /* Refused, with the daemon's message (it names the domain) in the info bar. */
  delete_image ("disk-u", &change);
  g_assert_false (change.ok);
  g_assert_error (change.error, DOMUS_ERROR, DOMUS_ERROR_IN_USE);
  g_assert_nonnull (strstr (change.error->message, "user"));
  g_assert_cmpstr (domus_image_store_get_error_message (store), ==, change.error->message);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (domus_image_store_has_image (store, "disk-u"));
  save_screenshot ("in-use");
  g_clear_error (&change.error);
  delete_image ("disk-v", &change);
  g_assert_no_error (change.error);

  /* Once the domain is gone the image can go too. */
  undefine ("user");
  GUI_TEST_WAIT_FOR (image_column_is ("disk-u", DOMUS_IMAGE_STORE_COLUMN_USED_BY, "—"));
  delete_image ("disk-u", &change);
  g_assert_no_error (change.error);
  g_assert_true (change.ok);
  g_assert_null (domus_image_store_get_error_message (store));
  GUI_TEST_WAIT_FOR (!domus_image_store_has_image (store, "disk-u"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
test_image_store_reconnect (void)
{
  GtkWidget *create_button = find_button (GTK_WIDGET (store), "_Create…");
  g_autofree char *path = g_build_filename (root, "images", "outside.img", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *zeros = g_malloc0 (65536);
  guint refreshes;

  /* The daemon goes: nothing can be asked of it. */
  daemon_pid = 0;
  gui_test_end_process (&daemon_process);
  GUI_TEST_WAIT_FOR (domus_host_get_state (host) != DOMUS_HOST_STATE_CONNECTED);
  g_assert_false (gtk_widget_get_sensitive (create_button));

  /* An image arrives behind the window's back; the daemon comes back. */
  g_file_set_contents (path, zeros, 65536, &error);
  g_assert_no_error (error);
  refreshes = domus_image_store_get_n_refreshes (store);
  start_daemon ();
  GUI_TEST_WAIT_FOR (domus_host_get_state (host) == DOMUS_HOST_STATE_CONNECTED);
  GUI_TEST_WAIT_FOR (domus_image_store_get_n_refreshes (store) > refreshes);
  GUI_TEST_WAIT_FOR (domus_image_store_has_image (store, "outside.img"));
  g_assert_true (gtk_widget_get_sensitive (create_button));
}

/* One daemon and one window for all the tests */

static void
set_up (const char *build_dir)
{
  g_autofree char *uri = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *box;

  guest_dir = g_build_filename (build_dir, "tests", "guest", NULL);
  root = g_dir_make_tmp ("domus-test-server-XXXXXX", &error);
  g_assert_no_error (error);
  start_daemon ();

  uri = g_strdup_printf ("unix:%s/domusd.sock", root);
  host = domus_host_new (uri);
  domus_host_set_retry_delay_ms (host, 100);
  domus_host_connect (host);
  GUI_TEST_WAIT_FOR (domus_host_get_state (host) == DOMUS_HOST_STATE_CONNECTED);

  window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 700);
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  table = DOMUS_TOP_TABLE (domus_top_table_new (host));
  store = DOMUS_IMAGE_STORE (domus_image_store_new (host));
  gtk_widget_set_vexpand (GTK_WIDGET (table), TRUE);
  gtk_container_add (GTK_CONTAINER (box), GTK_WIDGET (table));
  gtk_container_add (GTK_CONTAINER (box), GTK_WIDGET (store));
  gtk_container_add (GTK_CONTAINER (window), box);
  gtk_widget_show_all (window);
}

static void
tear_down (void)
{
  gtk_widget_destroy (window);
  domus_host_disconnect (host);
  g_clear_object (&host);
  daemon_pid = 0;
  gui_test_end_process (&daemon_process);
  if (qemu_pid > 0)
    kill (qemu_pid, SIGKILL);
  gui_test_remove_tree (root);
  g_clear_pointer (&root, g_free);
  g_clear_pointer (&guest_dir, g_free);
}

int
main (int   argc,
      char *argv[])
{
  const char *build_dir = g_getenv ("DOMUS_BUILD_DIR");
  int status;

  g_test_init (&argc, &argv, NULL);
  if (build_dir == NULL)
    {
      g_test_skip ("DOMUS_BUILD_DIR is not set");
      return 77;
    }
  signal (SIGABRT, on_fatal_signal);
  signal (SIGTRAP, on_fatal_signal);
  signal (SIGTERM, on_fatal_signal);
  /* In-process ATK is what we check; no accessibility bus under this Xvfb. */
  g_setenv ("NO_AT_BRIDGE", "1", TRUE);
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  g_setenv ("GTK_THEME", "Adwaita", TRUE);
  xvfb = gui_test_start_xvfb ();
  gtk_init (&argc, &argv);
  set_up (build_dir);

  g_test_add_func ("/top-table/rows", test_top_table);
  g_test_add_func ("/image-store/create-delete", test_image_store_create_delete);
  g_test_add_func ("/image-store/in-use", test_image_store_in_use);
  g_test_add_func ("/image-store/reconnect", test_image_store_reconnect);
  status = g_test_run ();

  tear_down ();
  gui_test_end_process (&xvfb);
  return status;
}
