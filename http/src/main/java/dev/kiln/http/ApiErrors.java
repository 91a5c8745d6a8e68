package dev.kiln.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.actor.Errors;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;

/**
 * Every failure as {@code {"error": CODE, "reason": …}} with the status a client can branch on. CODE
 * is an {@link ErrorCode} name for the engine's errors, or one of the HTTP layer's own:
 * {@code BODY_TOO_LARGE}, {@code UNSUPPORTED_MEDIA_TYPE}, {@code UNAUTHORIZED}, {@code METHOD_NOT_ALLOWED},
 * {@code BAD_REQUEST}.
 */
final class ApiErrors {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ApiErrors() {}

  static HttpResponse response(StatusCode status, String code, String reason) {
    ObjectNode body = JSON.createObjectNode();
    body.put("error", code);
    body.put("reason", reason);
    return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, body.toString());
  }

  /** The response for a failed request; {@code ifMatch}: a CONFLICT was a failed If-Match precondition (412). */
  static HttpResponse of(Throwable error, boolean ifMatch) {
    Throwable t = Errors.unwrap(error);
    if (t instanceof KilnException k) {
      StatusCode status = status(k.code());
      if (k.code() == ErrorCode.CONFLICT && ifMatch) {
        status = StatusCodes.PRECONDITION_FAILED;
      }
      return response(status, k.code().name(), k.getMessage());
    }
    if (t instanceof EntityStreamSizeException) {
      return response(StatusCodes.PAYLOAD_TOO_LARGE, "BODY_TOO_LARGE", "the request body is larger than "
          + "kiln.http.max-body-bytes allows");
    }
    if (t instanceof BadRequest b) {
      return response(b.status, b.code, b.getMessage());
    }
    // anything else the engine threw (a store that failed, a read that timed out): the engine's own mapping
    KilnException k = Errors.toKiln(t);
    return response(status(k.code()), k.code().name(), k.getMessage());
  }

  static StatusCode status(ErrorCode code) {
    return switch (code) {
      case INVALID_DOCUMENT, INVALID_ID, INVALID_NAME, INVALID_QUERY -> StatusCodes.BAD_REQUEST;
      case NOT_FOUND -> StatusCodes.NOT_FOUND;
      case CONFLICT -> StatusCodes.CONFLICT;
      case DOCUMENT_TOO_LARGE -> StatusCodes.PAYLOAD_TOO_LARGE;
      // FENCED: the database is served by another node now; nothing was stored and the same request,
      // sent again, reaches the new owner, so "unavailable here, retry" rather than a server fault (500)
      case OVERLOADED, JOURNAL, CLOSED, LOCKED, FENCED -> StatusCodes.SERVICE_UNAVAILABLE;
      case TIMEOUT -> StatusCodes.GATEWAY_TIMEOUT;
      case CORRUPT, STORAGE, INTERNAL -> StatusCodes.INTERNAL_SERVER_ERROR;
    };
  }

  /** A request the HTTP layer refuses before the engine sees it (a wrong media type, say). */
  static final class BadRequest extends RuntimeException {
    final StatusCode status;
    final String code;

    BadRequest(StatusCode status, String code, String reason) {
      super(reason);
      this.status = status;
      this.code = code;
    }
  }
}
