/**
 * Kiln on a Pekko cluster: the {@link dev.kiln.cluster.ShardedHosting} that runs each database as a
 * sharded entity, and what a cluster node needs to start. Nothing here changes how a database
 * works; the engine knows this module only through {@link dev.kiln.engine.api.DatabaseHosting}.
 */
package dev.kiln.cluster;
