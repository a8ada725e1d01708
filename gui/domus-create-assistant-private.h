/* SPDX-License-Identifier: GPL-3.0-or-later */
/* < private > The create assistant's fields, shared by its files (domus-create-assistant*.c). */

#pragma once

#include "domus-cloud-form.h"
#include "domus-debian-form.h"
#include "domus-guest-build.h"
#include "domus-create-assistant.h"

G_BEGIN_DECLS

#define GIB ((gint64) 1024 * 1024 * 1024)

/* Shown in the summary while a new image's folder is not known yet: the daemon says
 * where it put the image when it creates it, and the text is written with that path. */
#define UNKNOWN_IMAGE_DIR "/IMAGE-STORE"

struct _DomusCreateAssistant
{
  GtkAssistant    parent_instance;

  DomusHost      *host;
  GCancellable   *cancellable;

  guint           n_disk_images;   /* images in the store that are not ISOs */
  gboolean        disk_name_edited;
  gboolean        setting_disk_name;
  gboolean        creating;
  gboolean        no_pools;        /* a host with storage pools, none of them active */
  /* The image this attempt created: removed again when the domain is refused, so a
   * second attempt starts from the same place. */
  char           *created_image;
  char           *created_image_path;
  /* A guest the host builds; kept after a failed start, so that Apply only starts it. */
  DomusGuestBuild *build;

  GtkFileChooserNative *chooser;
  GtkEntry       *chooser_target;

  GtkWidget      *infobars[DOMUS_CREATE_N_PAGES];
  GtkLabel       *infobar_labels[DOMUS_CREATE_N_PAGES];

  /* Template children */
  GtkEntry       *name_entry;
  GtkLabel       *name_hint;
  GtkToggleButton *source_iso_radio;
  GtkToggleButton *source_kernel_radio;
  GtkToggleButton *source_disk_radio;
  GtkWidget      *iso_grid;
  GtkComboBoxText *iso_combo;
  GtkEntry       *iso_entry;
  GtkWidget      *iso_browse;
  GtkWidget      *kernel_grid;
  GtkEntry       *kernel_entry;
  GtkWidget      *kernel_browse;
  GtkEntry       *ramdisk_entry;
  GtkWidget      *ramdisk_browse;
  GtkEntry       *extra_entry;
  GtkComboBoxText *boot_disk_combo;
  GtkToggleButton *source_debian_radio;
  DomusDebianForm *debian_form;
  GtkToggleButton *source_cloud_radio;
  DomusCloudForm *cloud_form;
  GtkToggleButton *source_template_radio;
  GtkWidget      *template_grid;
  GtkComboBoxText *template_combo;
  GtkToggleButton *template_linked_check;
  GtkLabel       *source_hint;
  GtkSpinButton  *memory_spin;
  GtkSpinButton  *vcpus_spin;
  GtkLabel       *limits_label;
  GtkToggleButton *disk_new_radio;
  GtkWidget      *disk_new_grid;
  GtkEntry       *disk_name_entry;
  GtkSpinButton  *disk_size_spin;
  GtkWidget      *disk_pool_label;
  GtkComboBoxText *disk_pool_combo;
  GtkToggleButton *disk_existing_radio;
  GtkComboBoxText *disk_combo;
  GtkToggleButton *disk_none_radio;
  GtkLabel       *disk_hint;
  GtkToggleButton *net_user_radio;
  GtkToggleButton *net_bridge_radio;
  GtkComboBoxText *bridge_combo;
  GtkEntry       *bridge_entry;
  GtkToggleButton *net_named_radio;
  GtkComboBoxText *network_combo;
  GtkToggleButton *net_none_radio;
  GtkLabel       *network_hint;
  GtkToggleButton *vnc_check;
  GtkLabel       *summary_label;
  GtkTextView    *summary_view;
  GtkSpinner     *progress_spinner;
  GtkLabel       *progress_label;
  GtkProgressBar *progress_bar;
};

/* domus-create-assistant.c: every page checked again, Apply allowed when all are right. */
void _domus_create_assistant_update_pages (DomusCreateAssistant *self);
/* domus-create-assistant-host.c: what the host offers (images, bridges, networks, pools,
 * the sources it builds), read once as the assistant opens. */
void _domus_create_assistant_read_host    (DomusCreateAssistant *self);

G_END_DECLS
