package dev.kiln.protocol;

/**
 * Marker for every message and event that may cross a node or reach the journal; bound to
 * Pekko's {@code jackson-cbor} serializer in {@code conf/application.conf}.
 */
public interface KilnSerializable {}
