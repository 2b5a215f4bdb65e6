#pragma once
// The exit codes of every gameday command (documented in README.md).

namespace gameday {

/// The run's expectations hold (or the command did what it was asked).
inline constexpr int kExitPass = 0;
/// The run's expectations do not hold (a CI sweep: a run failed or a metric regressed).
inline constexpr int kExitFail = 1;
/// Invalid input: a bad option, or a file that does not load (the message names file:line:col).
inline constexpr int kExitInvalid = 2;
/// An internal error, or a run interrupted by SIGINT/SIGTERM (partial results written).
inline constexpr int kExitInternal = 3;
/// A run stopped by SIGINT/SIGTERM exits as an internal error does.
inline constexpr int kExitInterrupted = kExitInternal;

}  // namespace gameday
