package dev.kiln.engine.actor;

/**
 * Deliberate bugs that the schedule explorer's tests build into one DatabaseActor (a package-private
 * argument of {@link DatabaseActor#create}) to show that it finds them. The public factories always
 * build {@link #NONE}; no global switch exists, so one test's bug cannot leak into another actor.
 */
enum InjectedBug {
  NONE,
  /** Installing a compaction keeps none of the CARs appended after its snapshot (breaks invariant 4). */
  INSTALL_DROPS_APPENDED_CARS,
  /** Replaced CARs are deleted at once, even while a lease on an older generation can still reach them (breaks 7). */
  DELETE_IGNORES_LEASES
}
