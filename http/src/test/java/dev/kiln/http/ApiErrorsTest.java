package dev.kiln.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.protocol.ErrorCode;
import dev.kiln.protocol.KilnException;
import java.util.concurrent.CompletionException;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.junit.jupiter.api.Test;

class ApiErrorsTest {
  @Test
  void aFencedRefusalIsServiceUnavailableWithTheEnginesReason() throws Exception {
    KilnException fenced = new KilnException(ErrorCode.FENCED,
        "database orders moved to another owner (claimed again at epoch 4, this node's claim is epoch 3)");
    HttpResponse r = ApiErrors.of(new CompletionException(fenced), false);
    // 503: nothing was stored and the same request, sent again, reaches the database's new owner
    assertThat(r.status().intValue()).isEqualTo(503);
    JsonNode body = new ObjectMapper().readTree(((HttpEntity.Strict) r.entity()).getData().utf8String());
    assertThat(body.path("error").asText()).isEqualTo("FENCED");
    assertThat(body.path("reason").asText()).isEqualTo(fenced.getMessage());
  }
}
