package dev.kiln.engine.actor;

/**
 * Deliberate bugs that the schedule explorer's tests switch on to show that it finds them. Tests
 * only; never set in production: {@link #active} stays {@link #NONE} unless a test in this package
 * sets it (and resets it when it ends).
 */
enum InjectedBug {
  NONE,
  /** Installing a compaction keeps none of the CARs appended after its snapshot (breaks invariant 4). */
  INSTALL_DROPS_APPENDED_CARS,
  /** Replaced CARs are deleted at once, even while a lease on an older generation can still reach them (breaks 7). */
  DELETE_IGNORES_LEASES;

  /** Read by {@link DatabaseActor} where it installs a compaction and where it deletes replaced CARs. */
  static volatile InjectedBug active = NONE;
}
