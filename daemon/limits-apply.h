/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* limits-apply.h - a profile's file-descriptor limits on a host: checks, limit files, running processes. */
#pragma once

#include "manager.h"

/* Refuse limits that would lock users out or starve the system, before anything is written: a hard
 * nofile above fs.nr_open (unless limits.raise_nr_open, which adds fs.nr_open to p), or fs.file-max
 * below twice the hard limit. -EINVAL with *ret_error naming the values. */
int limits_check(Manager *m, Profile *p, char **ret_error);

/* Write the limit files of p's layers (p NULL: Revert), restore the ones p no longer manages from the
 * baseline, one report row each. The original of a file is saved in the baseline before its first write.
 * A file that cannot be written (daemon.json that does not parse, read-only directory) is reported and
 * left as it is; the others are still written. The docker layer leaves out a unit's drop-in that would
 * lower the unit's own LimitNOFILE=, and, unless p says "docker": "always", what is not installed
 * ("skipped: …" rows); such a file wstuned wrote before goes back to its baseline. Returns how many files
 * failed. */
unsigned limits_apply(Manager *m, const Profile *p, bool dry_run, uid_t caller, Report *changes);

/* Verify rows for every limit file of the active profile and every running process it watches
 * (dockerd and containerd with the docker layer, limits.processes, limits.services). Returns false when
 * one does not hold (a file missing or changed, a unit's drop-in below the unit's own limit: "lowers: …", a
 * process below the limit: "restart-needed"). A file the docker layer leaves out holds, its row saying
 * "skipped: …" in the expected column. */
bool limits_verify(Manager *m, Report *findings);

/* The limit files were touched by someone else: rewrite every one that no longer has its content, with
 * a drift journal entry, a Drifted signal and a DriftCorrections count each. Returns how many. */
unsigned limits_repair(Manager *m);

/* Remove the temporary files a killed wstuned left next to every limit file (of any profile). Returns
 * how many. */
int limits_remove_stale_temp_files(const Manager *m);

/* Directories holding the active profile's limit files (under the root prefix), NULL-terminated; not those of
 * files the docker layer leaves out. */
int limits_watch_dirs(const Manager *m, char ***ret);

void limits_forget_processes(Manager *m);
