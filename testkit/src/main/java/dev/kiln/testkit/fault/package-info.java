/** Fault injection for the storage layer: a CAR store that fails, stalls or half-writes on a seeded schedule. */
package dev.kiln.testkit.fault;
