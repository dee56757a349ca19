// SPDX-License-Identifier: MIT
#pragma once

/// @file
/// The hidden entry point of spawned processes (the spawn start method's workers, and a
/// forkserver started from a process that already runs threads). They are fresh images of the
/// embedding program, so the program's main() must hand them over before doing anything else:
///
///     int main(int argc, char** argv) {
///         register_my_tasks();                        // the tasks workers must know
///         poolcore::run_worker_if_requested(argc, argv); // never returns in a worker
///         ...                                         // the program as usual
///     }
///
/// Tasks registered before the call (or from static initialisers) exist in spawned workers;
/// tasks registered later exist only in forked ones.

#include <string>

namespace poolcore {

/// Runs a worker or a forkserver and never returns when `argv` asks for one; returns at once
/// otherwise (and records that the program has the entry, so that spawning may use it). In every
/// process it first opens /dev/null on whichever of descriptors 0, 1 and 2 is closed, so that the
/// pool's sockets never take their numbers: a program that needs to know whether stdout was
/// closed must look before calling it.
void run_worker_if_requested(int argc, char** argv);

/// The file this program runs from, links resolved: for finding a worker program installed
/// beside it (PoolOptions::worker_program). Empty if the system cannot tell.
std::string this_program_file();

/// Why `program` cannot be started as a worker program (PoolOptions::worker_program): empty when
/// it is an executable regular file.
std::string worker_program_problem(const std::string& program);

} // namespace poolcore
