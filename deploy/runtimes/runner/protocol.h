/*
 * The runner protocol: what the worker and runbox-run say to each other over the
 * container's stdin and stdout. src/sandbox/runner-protocol.ts holds the same table;
 * test/unit/sandbox/runner-protocol.test.ts checks that the two agree.
 *
 * Frame, both ways: type (1 byte), payload length (4 bytes, big-endian), payload, then a
 * 16-byte tag: HMAC-SHA256(key, direction | seq | type | length | payload), truncated. The
 * key is the first frame the worker sends (FRAME_KEY, the only frame without a tag); each
 * direction counts its frames from 0 (seq, 8 bytes big-endian) and the direction byte is
 * 'H' (host to runner) or 'R' (runner to host). A frame that fails its tag, or comes out of
 * order, ends the conversation: nothing in the sandbox can speak for either side.
 */
#ifndef RUNBOX_PROTOCOL_H
#define RUNBOX_PROTOCOL_H

#define PROTOCOL_VERSION 2
#define TAG_BYTES 16
#define KEY_BYTES 32
/* The largest frame either side accepts (an exec spec with its argv and env). */
#define MAX_FRAME_BYTES (2 * 1024 * 1024)
/* Output and file data travel in pieces of at most this many bytes. */
#define CHUNK_BYTES 65536

/* Host to runner. */
#define FRAME_KEY 'K'        /* 32 bytes: the key of every later tag */
#define FRAME_FILE 'F'       /* u32 mode (with its type bits), u64 size, path: a file, folder or link */
#define FRAME_DATA 'D'       /* u64 offset, bytes: part of the last FRAME_FILE (a link: its target) */
#define FRAME_EXEC 'X'       /* fields (below): run one program */
#define FRAME_STDIN 'I'      /* bytes for the running program's stdin */
#define FRAME_STDIN_END 'E'  /* the running program's stdin ends (sent once per FRAME_EXEC) */
#define FRAME_SNAPSHOT 'S'   /* remember the work folder as it is now */
#define FRAME_RESTORE 'R'    /* empty the work folder, the scratch folders and IPC; put the snapshot back */
#define FRAME_COLLECT 'C'    /* u64 byte budget: send the work folder back */
#define FRAME_SYNC 'Y'       /* answer FRAME_OK; ends the refusal that follows a failed command */
#define FRAME_QUIT 'Q'       /* answer FRAME_BYE and exit */
#define FRAME_GET 'G'        /* u64 byte budget, path (empty: the work folder): a file's FRAME_FILE and
                                FRAME_DATA frames, or a folder's FRAME_ENTRY frames, then FRAME_COLLECTED */
#define FRAME_REMOVE 'U'     /* path: remove a file, link or folder (with what it holds) */
#define FRAME_LOAD 'L'       /* absolute path of a folder in the image: copy what it holds into the work folder */

/* Runner to host. */
#define FRAME_READY 'y'      /* JSON {"protocol","uid"}: the key is in place, commands may come */
#define FRAME_STDOUT 'o'
#define FRAME_STDERR 'e'
#define FRAME_REPORT 'r'     /* JSON: how the program ended (src/sandbox/runner-protocol.ts) */
#define FRAME_COLLECTED 'c'  /* JSON {"files","bytes","exceeded"}: the end of a collect */
#define FRAME_ERROR 'x'      /* JSON {"error", "code"?: the errno's name}: a command failed; every later one is refused (each with
                                its own FRAME_ERROR) until a FRAME_SYNC */
#define FRAME_OK 'k'         /* the answer to FRAME_SYNC */
#define FRAME_BYE 'q'
#define FRAME_ENTRY 'n'      /* u32 mode (with its type bits), u64 size, u64 mtime (ms), name: one entry of a
                                folder a FRAME_GET asked for */
/* A collect sends the work folder as FRAME_FILE and FRAME_DATA frames, as the host does. */

/* Fields of FRAME_EXEC: tag (1 byte), length (4 bytes, big-endian), value. */
#define FIELD_ARG 'a'        /* one argv element, in order */
#define FIELD_ENV 'e'        /* NAME=value over the runner's own environment, for the program only */
#define FIELD_CWD 'w'        /* working folder, relative to the work folder */
#define FIELD_TIME_MS 't'    /* u64: wall-time limit */
#define FIELD_CPU_MS 'c'     /* u64: CPU-time limit of every process together */
#define FIELD_OUTPUT_BYTES 'o' /* u64: cap on stdout and on stderr, each */
#define FIELD_CGROUP_PEAK 'p' /* empty: report the sandbox's cgroup memory peak (a run's one
                                execution), not the peak resident set of this execution's processes */
#define FIELD_SHARED 's'     /* empty: the sandbox is shared with processes the engine started beside us (a
                                session's terminal): stop and measure only this execution's own processes */

#endif
