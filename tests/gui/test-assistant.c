/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DomusCreateAssistant against a real domusd (run by test-assistant.py under Xvfb): typed
 * choices are validated page by page, a daemon's refusal comes back on the page it concerns,
 * and the test guest is created from a kernel and ramdisk. Then, with libvirt built in, a
 * libvirt test:/// host without pools or networks: those choices greyed out, saying why. */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <gtk/gtk.h>
#include <glib/gstdio.h>

#include "gui-test-util.h"

#include "domus-create-assistant.h"
#include "domus-host.h"

/* Usage: test-assistant URI GUEST_DIR TAKEN_NAME
 * Prints "ok - …" / "not ok - …" lines; test-assistant.py numbers them. */

#define NEW_NAME "asst1"
#define NEW_NAME_2 "asst2"
#define NEW_NAME_3 "asst3"
#define ISO_NAME "empty.iso"

typedef gboolean (*Predicate) (gpointer data);

/* Runs the main loop until predicate holds or timeout_ms passes (this is a test driver,
 * not the application: it owns the loop). */
static gboolean
wait_for (Predicate predicate,
          gpointer  data,
          guint     timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!predicate (data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  return TRUE;
}

static void
settle (guint ms)
{
  gint64 until = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < until)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (2000);
    }
}

static gboolean
host_connected (gpointer data)
{
  return domus_host_get_state (data) == DOMUS_HOST_STATE_CONNECTED;
}

typedef struct {
  DomusHost  *host;
  const char *name;
} Lookup;

static gboolean
domain_known (gpointer data)
{
  Lookup *lookup = data;

  return domus_host_lookup_domain (lookup->host, lookup->name) != NULL;
}

static GtkWidget *
child (GtkWidget  *assistant,
       const char *name)
{
  GObject *object = gtk_widget_get_template_child (assistant, DOMUS_TYPE_CREATE_ASSISTANT, name);

  if (object == NULL)
    g_error ("the template has no child %s", name);
  return GTK_WIDGET (object);
}

static gboolean
page_complete (GtkWidget *assistant,
               int        page)
{
  return gtk_assistant_get_page_complete (GTK_ASSISTANT (assistant),
                                          gtk_assistant_get_nth_page (GTK_ASSISTANT (assistant), page));
}

static int
current_page (GtkWidget *assistant)
{
  return gtk_assistant_get_current_page (GTK_ASSISTANT (assistant));
}

/* GtkAssistant's own buttons (internal children), found by label as a user finds them. */
typedef struct {
  const char *label;
  GtkWidget  *found;
} ButtonSearch;

static void
find_button_cb (GtkWidget *widget,
                gpointer   data)
{
  ButtonSearch *search = data;

  if (search->found != NULL)
    return;
  if (GTK_IS_BUTTON (widget) && gtk_widget_get_visible (widget) &&
      g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), search->label) == 0)
    {
      search->found = widget;
      return;
    }
  if (GTK_IS_CONTAINER (widget))
    gtk_container_forall (GTK_CONTAINER (widget), find_button_cb, search);
}

static GtkWidget *
find_button (GtkWidget  *assistant,
             const char *label)
{
  ButtonSearch search = { label, NULL };

  gtk_container_forall (GTK_CONTAINER (assistant), find_button_cb, &search);
  return search.found;
}

/* Clicks a visible button; FALSE when it is missing or insensitive, as for a user. */
static gboolean
click (GtkWidget  *assistant,
       const char *label)
{
  GtkWidget *button = find_button (assistant, label);

  if (button == NULL || !gtk_widget_is_sensitive (button))
    return FALSE;
  gtk_button_clicked (GTK_BUTTON (button));
  settle (20);
  return TRUE;
}

static gboolean
next_sensitive (GtkWidget *assistant)
{
  GtkWidget *button = find_button (assistant, "_Next");

  return button != NULL && gtk_widget_is_sensitive (button);
}

static void
set_text (GtkWidget  *assistant,
          const char *name,
          const char *text)
{
  gtk_entry_set_text (GTK_ENTRY (child (assistant, name)), text);
  settle (10);
}

static void
activate (GtkWidget  *assistant,
          const char *name)
{
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (child (assistant, name)), TRUE);
  settle (10);
}

typedef struct {
  GtkWidget *assistant;
  int        page;
} PageWait;

static gboolean
error_shown (gpointer data)
{
  PageWait *wait = data;

  return current_page (wait->assistant) == wait->page &&
         domus_create_assistant_get_page_error (DOMUS_CREATE_ASSISTANT (wait->assistant),
                                                wait->page) != NULL;
}

static gboolean
pointer_cleared (gpointer data)
{
  return *(gpointer *) data == NULL;
}

static void
on_created (DomusCreateAssistant *assistant,
            const char           *name,
            char                **created)
{
  g_free (*created);
  *created = g_strdup (name);
}

/* From the name page to the summary, clicking Next as a user would. */
static gboolean
forward_to_summary (GtkWidget *assistant)
{
  while (current_page (assistant) < DOMUS_CREATE_PAGE_SUMMARY)
    if (!click (assistant, "_Next"))
      return FALSE;
  return current_page (assistant) == DOMUS_CREATE_PAGE_SUMMARY;
}

#ifdef HAVE_LIBVIRT
static gboolean
widget_insensitive (gpointer data)
{
  return !gtk_widget_is_sensitive (data);
}

/* A libvirt host (libvirt's test driver, in this process) with no storage pool and no
 * network: the new volume and the host's networks are shown, greyed out, saying why. */
static void
check_libvirt_without_pools (void)
{
  static const char node[] =
    "<node><domain type='test'><name>lone</name><memory unit='MiB'>64</memory>"
    "<os><type>hvm</type></os></domain></node>";
  g_autofree char *dir = g_dir_make_tmp ("domus-assistant-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "node.xml", NULL);
  g_autofree char *uri = g_strdup_printf ("test://%s", path);
  g_autoptr(DomusHost) host = NULL;
  g_autofree char *volume_tip = NULL;
  g_autofree char *network_tip = NULL;
  g_autofree char *debian_tip = NULL;
  GtkWidget *assistant;

  g_file_set_contents (path, node, -1, NULL);
  host = domus_host_new (uri);
  domus_host_connect (host);
  gui_test_check (wait_for (host_connected, host, 10000), "a libvirt test host connects");
  assistant = domus_create_assistant_new (host);
  gtk_widget_show (assistant);
  gui_test_check (wait_for ((Predicate) gtk_toggle_button_get_active, child (assistant, "disk_none_radio"), 5000),
                  "with no storage pool, 'No disk' is chosen");
  volume_tip = gtk_widget_get_tooltip_text (child (assistant, "disk_new_radio"));
  gui_test_check (gtk_widget_get_visible (child (assistant, "disk_pool_combo")) &&
                  !gtk_widget_is_sensitive (child (assistant, "disk_new_radio")) &&
                  volume_tip != NULL && strstr (volume_tip, "no active storage pool") != NULL,
                  "the new volume is greyed out and says why (%s)", volume_tip != NULL ? volume_tip : "no tooltip");
  gui_test_check (wait_for (widget_insensitive, child (assistant, "net_named_radio"), 5000),
                  "the host's networks were read");
  network_tip = gtk_widget_get_tooltip_text (child (assistant, "net_named_radio"));
  gui_test_check (gtk_widget_get_visible (child (assistant, "net_named_radio")) &&
                  !gtk_widget_is_sensitive (child (assistant, "net_named_radio")) &&
                  network_tip != NULL && strstr (network_tip, "no active network") != NULL,
                  "the host's networks are greyed out and say why (%s)", network_tip != NULL ? network_tip : "no tooltip");
  debian_tip = gtk_widget_get_tooltip_text (child (assistant, "source_debian_radio"));
  gui_test_check (!gtk_widget_is_sensitive (child (assistant, "source_debian_radio")) &&
                  debian_tip != NULL && strstr (debian_tip, "this is a libvirt host") != NULL,
                  "Debian from the archive is greyed out, naming the kind (%s)", debian_tip != NULL ? debian_tip : "no tooltip");
  gtk_widget_destroy (assistant);
  domus_host_disconnect (host);
  settle (50);
  g_unlink (path);
  g_rmdir (dir);
}
#endif

int
main (int    argc,
      char **argv)
{
  g_autoptr(DomusHost) host = NULL;
  g_autofree char *kernel = NULL;
  g_autofree char *ramdisk = NULL;
  g_autofree char *config = NULL;
  g_autofree char *tooltip = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *created = NULL;
  GtkWidget *assistant;
  GtkWidget *weak;
  GtkTextBuffer *buffer;
  GtkTextIter start, end;
  const char *message;
  Lookup taken, fresh;
  PageWait wait;

  gtk_init (&argc, &argv);
  if (argc != 4)
    {
      fprintf (stderr, "usage: %s URI GUEST_DIR TAKEN_NAME\n", argv[0]);
      return 2;
    }
  kernel = g_build_filename (argv[2], "vmlinuz", NULL);
  ramdisk = g_build_filename (argv[2], "initrd.img", NULL);

  host = domus_host_new (argv[1]);
  domus_host_connect (host);
  if (!gui_test_check (wait_for (host_connected, host, 10000), "the host connects"))
    return 1;
  taken = (Lookup) { host, argv[3] };
  gui_test_check (wait_for (domain_known, &taken, 30000), "the host lists the domain %s", argv[3]);

  assistant = domus_create_assistant_new (host);
  g_signal_connect (assistant, "created", G_CALLBACK (on_created), &created);
  gtk_widget_show (assistant);
  settle (300);   /* image.list and the first layout */

  /* 1. Name, validated as it is typed. */
  gui_test_check (current_page (assistant) == DOMUS_CREATE_PAGE_NAME, "the assistant opens on the name page");
  gui_test_check (!page_complete (assistant, DOMUS_CREATE_PAGE_NAME) && !next_sensitive (assistant),
         "an empty name keeps the name page incomplete");
  set_text (assistant, "name_entry", "bad name");
  gui_test_check (!page_complete (assistant, DOMUS_CREATE_PAGE_NAME) && !next_sensitive (assistant),
         "a name with a space keeps the page incomplete");
  gui_test_check (strlen (gtk_label_get_text (GTK_LABEL (child (assistant, "name_hint")))) > 0,
         "and the page says why");
  set_text (assistant, "name_entry", "-x");
  gui_test_check (!page_complete (assistant, DOMUS_CREATE_PAGE_NAME), "a name starting with '-' is refused");
  set_text (assistant, "name_entry", argv[3]);
  gui_test_check (!page_complete (assistant, DOMUS_CREATE_PAGE_NAME),
         "the name of a domain the host has is refused");
  set_text (assistant, "name_entry", NEW_NAME);
  gui_test_check (page_complete (assistant, DOMUS_CREATE_PAGE_NAME) && next_sensitive (assistant),
         "a new valid name completes the page");
  gui_test_check (g_strcmp0 (gtk_entry_get_text (GTK_ENTRY (child (assistant, "disk_name_entry"))),
                    NEW_NAME ".qcow2") == 0,
         "the new disk image is named after the domain");
  gui_test_check (click (assistant, "_Next") && current_page (assistant) == DOMUS_CREATE_PAGE_SOURCE,
         "Next goes to the install source");

  /* 2. Kernel and ramdisk; first a kernel the host does not have. */
  activate (assistant, "source_kernel_radio");
  gui_test_check (!page_complete (assistant, DOMUS_CREATE_PAGE_SOURCE), "a kernel boot without a kernel is incomplete");
  set_text (assistant, "kernel_entry", "vmlinuz");
  gui_test_check (!page_complete (assistant, DOMUS_CREATE_PAGE_SOURCE), "a relative kernel path is refused");
  set_text (assistant, "kernel_entry", "/nonexistent/vmlinuz");
  set_text (assistant, "ramdisk_entry", ramdisk);
  set_text (assistant, "extra_entry", "console=tty0 console=ttyS0");
  gui_test_check (page_complete (assistant, DOMUS_CREATE_PAGE_SOURCE), "kernel, ramdisk and command line complete the page");
  gui_test_check (click (assistant, "_Next") && current_page (assistant) == DOMUS_CREATE_PAGE_RESOURCES,
         "Next goes to memory and CPUs");

  /* 3. Memory bounded by the host. */
  {
    GtkSpinButton *memory = GTK_SPIN_BUTTON (child (assistant, "memory_spin"));
    GtkSpinButton *vcpus = GTK_SPIN_BUTTON (child (assistant, "vcpus_spin"));
    double upper = gtk_adjustment_get_upper (gtk_spin_button_get_adjustment (memory));
    g_autofree char *too_much = g_strdup_printf ("%" G_GINT64_FORMAT, domus_host_get_memory_mib (host) + 1);

    gui_test_check (domus_host_get_memory_mib (host) > 0 && upper == (double) domus_host_get_memory_mib (host),
           "the memory spin button stops at the host's memory (%.0f MiB)", upper);
    gui_test_check (gtk_adjustment_get_upper (gtk_spin_button_get_adjustment (vcpus)) ==
           (double) MIN (domus_host_get_cpus (host), 255),
           "the vCPU spin button stops at the host's CPUs");
    gui_test_check (strstr (gtk_label_get_text (GTK_LABEL (child (assistant, "limits_label"))), "MiB") != NULL,
           "the host's limits are shown");
    gtk_entry_set_text (GTK_ENTRY (memory), too_much);
    settle (10);
    gui_test_check (!page_complete (assistant, DOMUS_CREATE_PAGE_RESOURCES),
           "typing more memory than the host has makes the page incomplete");
    gtk_entry_set_text (GTK_ENTRY (memory), "12x");
    settle (10);
    gui_test_check (!page_complete (assistant, DOMUS_CREATE_PAGE_RESOURCES), "typing a non-number too");
    gtk_entry_set_text (GTK_ENTRY (memory), "128");
    settle (10);
    gui_test_check (page_complete (assistant, DOMUS_CREATE_PAGE_RESOURCES), "128 MiB completes it");
    gtk_spin_button_set_value (vcpus, 1);
  }
  gui_test_check (click (assistant, "_Next") && current_page (assistant) == DOMUS_CREATE_PAGE_DISK, "Next goes to the disk");

  /* 4. No disk; 5. user-mode network (the default); 6. VNC on (the default). */
  activate (assistant, "disk_none_radio");
  gui_test_check (page_complete (assistant, DOMUS_CREATE_PAGE_DISK), "no disk is fine for a kernel boot");
  gui_test_check (click (assistant, "_Next") && current_page (assistant) == DOMUS_CREATE_PAGE_NETWORK, "Next goes to the network");
  gui_test_check (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (child (assistant, "net_user_radio"))),
         "user-mode networking is the default on a user-mode daemon");
  activate (assistant, "net_bridge_radio");
  gtk_entry_set_text (GTK_ENTRY (child (assistant, "bridge_entry")), "br0,x");
  settle (10);
  gui_test_check (!page_complete (assistant, DOMUS_CREATE_PAGE_NETWORK), "a bridge name with a comma is refused");
  activate (assistant, "net_user_radio");
  gui_test_check (page_complete (assistant, DOMUS_CREATE_PAGE_NETWORK), "user-mode completes the page again");
  gui_test_check (click (assistant, "_Next") && current_page (assistant) == DOMUS_CREATE_PAGE_CONSOLE, "Next goes to the console");
  gui_test_check (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (child (assistant, "vnc_check"))), "VNC is on by default");
  gui_test_check (click (assistant, "_Next") && current_page (assistant) == DOMUS_CREATE_PAGE_SUMMARY, "Next goes to the summary");

  /* 7. The summary shows exactly what is sent. */
  config = domus_create_assistant_dup_config (DOMUS_CREATE_ASSISTANT (assistant));
  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (child (assistant, "summary_view")));
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  shown = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  gui_test_check (config != NULL && g_strcmp0 (config, shown) == 0, "the summary shows the configuration");
  gui_test_check (config != NULL && strstr (config, "name = '" NEW_NAME "'\n") && strstr (config, "memory = 128\n") &&
         strstr (config, "vnc = 1\n") && strstr (config, "kernel = '/nonexistent/vmlinuz'\n") &&
         strstr (config, "vif = [ '' ]\n") && !strstr (config, "\ndisk ="),
         "with the choices made");
  printf ("# %s\n", config != NULL ? g_strdelimit (g_strdup (config), "\n", ' ') : "(none)");

  /* The daemon refuses the missing kernel: its message appears on the source page. */
  gui_test_check (click (assistant, "_Apply"), "Apply is offered");
  wait = (PageWait) { assistant, DOMUS_CREATE_PAGE_SOURCE };
  gui_test_check (wait_for (error_shown, &wait, 20000),
         "the daemon's refusal of the kernel is shown on the install source page");
  message = domus_create_assistant_get_page_error (DOMUS_CREATE_ASSISTANT (assistant), DOMUS_CREATE_PAGE_SOURCE);
  gui_test_check (message != NULL && strstr (message, "kernel") != NULL, "with the daemon's message (%s)",
         message != NULL ? message : "none");
  gui_test_check (created == NULL, "nothing was reported created");

  /* Corrected, and created. */
  set_text (assistant, "kernel_entry", kernel);
  gui_test_check (forward_to_summary (assistant), "forward again to the summary");
  weak = assistant;
  g_object_add_weak_pointer (G_OBJECT (assistant), (gpointer *) &weak);
  gui_test_check (click (assistant, "_Apply"), "Apply again");
  gui_test_check (wait_for (pointer_cleared, &weak, 40000), "the assistant closes once the domain is created");
  gui_test_check (g_strcmp0 (created, NEW_NAME) == 0, "'created' came with the name %s", NEW_NAME);
  fresh = (Lookup) { host, NEW_NAME };
  gui_test_check (wait_for (domain_known, &fresh, 30000), "the host lists the new domain");
  if (domus_host_lookup_domain (host, NEW_NAME) != NULL)
    gui_test_check (domus_domain_get_state (domus_host_lookup_domain (host, NEW_NAME)) != DOMUS_DOMAIN_STATE_SHUTOFF,
           "and it is not shut off");

  if (weak != NULL)
    gtk_widget_destroy (weak);

  /* Second domain: an ISO from the image store and a new qcow2 disk made for it, no
   * network, no screen. The ISO is an empty file: the firmware finds nothing to boot, but
   * QEMU runs, which is all the daemon needs. */
  g_clear_pointer (&created, g_free);
  g_clear_pointer (&config, g_free);
  assistant = domus_create_assistant_new (host);
  g_signal_connect (assistant, "created", G_CALLBACK (on_created), &created);
  gtk_widget_show (assistant);
  set_text (assistant, "name_entry", NEW_NAME_2);
  gui_test_check (click (assistant, "_Next"), "second domain: name accepted");
  {
    GtkComboBox *isos = GTK_COMBO_BOX (child (assistant, "iso_combo"));
    const char *iso_path;

    gui_test_check (wait_for ((Predicate) gtk_widget_get_visible, isos, 5000),
           "the image store's ISO images are offered");
    gui_test_check (gtk_combo_box_set_active_id (isos, ISO_NAME), "%s is among them", ISO_NAME);
    iso_path = gtk_entry_get_text (GTK_ENTRY (child (assistant, "iso_entry")));
    gui_test_check (g_str_has_suffix (iso_path, "/images/" ISO_NAME) && g_path_is_absolute (iso_path),
           "choosing it fills in its path on the host (%s)", iso_path);
  }
  gui_test_check (page_complete (assistant, DOMUS_CREATE_PAGE_SOURCE) && click (assistant, "_Next"),
         "the ISO completes the source page");
  gui_test_check (click (assistant, "_Next") && current_page (assistant) == DOMUS_CREATE_PAGE_DISK,
         "the default memory is accepted");
  gui_test_check (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (child (assistant, "disk_new_radio"))) &&
         g_strcmp0 (gtk_entry_get_text (GTK_ENTRY (child (assistant, "disk_name_entry"))),
                    NEW_NAME_2 ".qcow2") == 0,
         "a new qcow2 image named after the domain is the default disk");
  gui_test_check (!gtk_widget_is_sensitive (child (assistant, "disk_existing_radio")),
         "with no disk image in the store, 'an existing image' is not offered");
  activate (assistant, "disk_existing_radio");
  gui_test_check (!page_complete (assistant, DOMUS_CREATE_PAGE_DISK), "an existing image with none chosen is incomplete");
  activate (assistant, "disk_new_radio");
  set_text (assistant, "disk_name_entry", ISO_NAME);
  gui_test_check (!page_complete (assistant, DOMUS_CREATE_PAGE_DISK), "an image name the store has is refused");
  set_text (assistant, "disk_name_entry", "a/b");
  gui_test_check (!page_complete (assistant, DOMUS_CREATE_PAGE_DISK), "an image name with '/' is refused");
  set_text (assistant, "disk_name_entry", NEW_NAME_2 ".qcow2");
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (child (assistant, "disk_size_spin")), 1);
  gui_test_check (page_complete (assistant, DOMUS_CREATE_PAGE_DISK) && click (assistant, "_Next"), "1 GiB completes the disk page");
  activate (assistant, "net_none_radio");
  gui_test_check (click (assistant, "_Next"), "no network");
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (child (assistant, "vnc_check")), FALSE);
  gui_test_check (click (assistant, "_Next") && current_page (assistant) == DOMUS_CREATE_PAGE_SUMMARY, "no VNC; summary");
  config = domus_create_assistant_dup_config (DOMUS_CREATE_ASSISTANT (assistant));
  gui_test_check (config != NULL && strstr (config, "builder = 'hvm'\n") && strstr (config, "boot = 'dc'\n") &&
         strstr (config, "/images/" NEW_NAME_2 ".qcow2,hda,w'") && strstr (config, "/images/" ISO_NAME ",hdc:cdrom,r'") &&
         strstr (config, "vnc = 0\n") && !strstr (config, "vif"),
         "the summary has the firmware boot from the CD, the new disk's path in the store, no vif");
  printf ("# %s\n", config != NULL ? g_strdelimit (g_strdup (config), "\n", ' ') : "(none)");
  weak = assistant;
  g_object_add_weak_pointer (G_OBJECT (assistant), (gpointer *) &weak);
  gui_test_check (click (assistant, "_Apply"), "Apply");
  gui_test_check (wait_for (pointer_cleared, &weak, 40000), "the assistant closes once the image and the domain are created");
  gui_test_check (g_strcmp0 (created, NEW_NAME_2) == 0, "'created' came with the name %s", NEW_NAME_2);
  if (weak != NULL)
    {
      for (int page = 0; page < DOMUS_CREATE_PAGE_PROGRESS; page++)
        if (domus_create_assistant_get_page_error (DOMUS_CREATE_ASSISTANT (weak), page) != NULL)
          printf ("# page %d: %s\n", page,
                  domus_create_assistant_get_page_error (DOMUS_CREATE_ASSISTANT (weak), page));
      gtk_widget_destroy (weak);
    }

  /* Third: boot the disk the second domain is using. QEMU refuses the image it cannot lock;
   * the assistant stays open and shows the daemon's message. */
  assistant = domus_create_assistant_new (host);
  g_signal_connect (assistant, "created", G_CALLBACK (on_created), &created);
  gtk_widget_show (assistant);
  g_clear_pointer (&created, g_free);
  set_text (assistant, "name_entry", NEW_NAME_3);
  gui_test_check (click (assistant, "_Next"), "third domain: name accepted");
  tooltip = gtk_widget_get_tooltip_text (child (assistant, "source_template_radio"));
  gui_test_check (!gtk_widget_is_sensitive (child (assistant, "source_template_radio")) &&
         tooltip != NULL && strstr (tooltip, "no template domains") != NULL,
         "with no template on the host, 'From a template' is greyed out and its tooltip says why (%s)",
         tooltip != NULL ? tooltip : "no tooltip");
  gui_test_check (wait_for ((Predicate) gtk_widget_is_sensitive, child (assistant, "source_disk_radio"), 5000),
         "with a disk image in the store, booting an existing image is offered");
  activate (assistant, "source_disk_radio");
  gui_test_check (!page_complete (assistant, DOMUS_CREATE_PAGE_SOURCE), "until an image is chosen the page is incomplete");
  gui_test_check (gtk_combo_box_set_active_id (GTK_COMBO_BOX (child (assistant, "boot_disk_combo")), NEW_NAME_2 ".qcow2") &&
         page_complete (assistant, DOMUS_CREATE_PAGE_SOURCE),
         "choosing %s.qcow2 completes it", NEW_NAME_2);
  gui_test_check (forward_to_summary (assistant), "forward to the summary");
  g_clear_pointer (&config, g_free);
  config = domus_create_assistant_dup_config (DOMUS_CREATE_ASSISTANT (assistant));
  gui_test_check (config != NULL && strstr (config, "builder = 'hvm'\n") && strstr (config, "boot = 'c'\n") &&
         strstr (config, "/images/" NEW_NAME_2 ".qcow2,hda,w' ]\n") && !strstr (config, "cdrom"),
         "the summary boots the chosen image from the first disk");
  gui_test_check (click (assistant, "_Apply"), "Apply");
  {
    gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
    int page = -1;

    while (g_get_monotonic_time () < deadline && created == NULL)
      {
        settle (50);
        page = current_page (assistant);
        if (page != DOMUS_CREATE_PAGE_PROGRESS &&
            domus_create_assistant_get_page_error (DOMUS_CREATE_ASSISTANT (assistant), page) != NULL)
          break;
      }
    message = page >= 0 ? domus_create_assistant_get_page_error (DOMUS_CREATE_ASSISTANT (assistant), page) : NULL;
    printf ("# page %d: %s\n", page, message != NULL ? message : "(none)");
    gui_test_check (created == NULL && message != NULL && page == DOMUS_CREATE_PAGE_SUMMARY,
           "QEMU's refusal of a disk in use is shown on the summary page (page %d)", page);
    gui_test_check (message != NULL && strstr (message, NEW_NAME_2 ".qcow2") != NULL, "with QEMU's words");
  }
  /* A domusd host has neither storage pools nor networks of its own: those choices are hidden. */
  gui_test_check (!gtk_widget_get_visible (child (assistant, "disk_pool_combo")) &&
                  !gtk_widget_get_visible (child (assistant, "net_named_radio")),
                  "on a domusd host the storage pool and the host's networks are not shown");
  gtk_widget_destroy (assistant);

  domus_host_disconnect (host);
  settle (50);
#ifdef HAVE_LIBVIRT
  check_libvirt_without_pools ();
#endif
  return gui_test_failures () == 0 ? 0 : 1;
}
