/* The work folder: files in, a snapshot and its restore (judge mode), files out (collect). */
#ifndef RUNBOX_WORKDIR_H
#define RUNBOX_WORKDIR_H
#include <stddef.h>
#include <stdint.h>

/* Opens the work folder and the scratch folders (/tmp, /dev/shm, /dev/mqueue) emptied by a restore. */
void workdir_open(const char *work, const char *const *scratch, int scratch_count);

/* FRAME_FILE and FRAME_DATA. Errors are kept and said once, by workdir_file_end. */
void workdir_file_begin(const unsigned char *payload, size_t len);
void workdir_file_data(const unsigned char *payload, size_t len);
/* Finishes the file in progress (before any other frame); 0 fine, -1 it failed (FRAME_ERROR sent). */
int workdir_file_end(void);

/* FRAME_SNAPSHOT: keeps the work folder in our memory; 0 fine, -1 failed (FRAME_ERROR sent). */
int workdir_snapshot(void);
/* FRAME_RESTORE: empties the work and scratch folders and IPC, then puts the snapshot back. */
int workdir_restore(void);
/* FRAME_COLLECT: sends the work folder as FRAME_FILE/FRAME_DATA frames, then FRAME_COLLECTED. */
void workdir_collect(uint64_t budget);

/* FRAME_GET: one file (FRAME_FILE, FRAME_DATA) or one folder's entries (FRAME_ENTRY), within a byte
   budget, then FRAME_COLLECTED; a link is never followed (an error, as a missing path). `refused`:
   an earlier command failed, so only the error and the end are sent. */
void workdir_get(const unsigned char *payload, size_t len, int refused);
/* FRAME_REMOVE: a file, link or folder with what it holds; 0 fine, -1 failed (FRAME_ERROR sent). */
int workdir_remove(const unsigned char *payload, size_t len);
/* FRAME_LOAD: copies what the folder at the (absolute) path holds into the work folder; 0 / -1. */
int workdir_load(const unsigned char *payload, size_t len);
#endif
