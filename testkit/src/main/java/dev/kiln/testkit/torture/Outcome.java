package dev.kiln.testkit.torture;

import dev.kiln.protocol.ErrorCode;

/** How an operation ended: an answer, a typed error, or nobody knows (a timeout, still in flight). */
public sealed interface Outcome {
  record Ok(Reply reply) implements Outcome {}

  record Failed(ErrorCode code, String message) implements Outcome {}

  record Unknown(String why) implements Outcome {}
}
