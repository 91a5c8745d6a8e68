package dev.kiln.engine.api;

import dev.kiln.protocol.DatabaseProtocol;
import org.apache.pekko.actor.typed.RecipientRef;

/**
 * Where a {@link Kiln}'s databases run, when not as children of its guardian on this node. Named by
 * {@code kiln.hosting} (a class with a public constructor taking the {@link Kiln}), made once when
 * Kiln starts; the cluster module's {@code dev.kiln.cluster.ShardedHosting} runs each database as a
 * sharded entity. The engine itself never depends on a cluster: this interface is the seam.
 *
 * <p>A hosting starts each database with {@link Kiln#entity(String)}. With a hosting, Kiln takes no
 * lock on {@code kiln.data-dir} (the nodes of a cluster share their storage; the hosting keeps one
 * actor per database, and {@link dev.kiln.engine.actor.DatabaseActor#createFenced fencing} covers a
 * former owner that still runs), and {@link Kiln#open(String)} gives a {@link Database} that talks to
 * {@link #database(String)}.
 */
public interface DatabaseHosting {
  /** Where database {@code name}'s protocol goes, from any node; called from any thread. */
  RecipientRef<DatabaseProtocol.Command> database(String name);
}
