package dev.kiln.protocol;

/**
 * Marks a message or event that Pekko serializes with Jackson CBOR ({@code jackson-cbor}), the
 * binding Kiln's defaults declare for this interface: journal events and messages that cross nodes.
 * Java records implementing it need no annotations; {@code ActorRef} fields serialize too.
 */
public interface KilnSerializable {}
