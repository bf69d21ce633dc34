package dev.sluice.checks;

import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.protocol.Errors;

/**
 * Kafka's own error table, one line per code: code, name, whether the client treats it as retriable
 * (its exception is a RetriableException), and the default message, tab-separated. test/protocol's
 * error-table test compares src/protocol/errors.ts with it.
 */
public final class ErrorTable {
  public static void main(String[] args) {
    for (Errors e : Errors.values()) {
      ApiException ex = e.exception();
      String message = e.message() == null ? "" : e.message().replace('\t', ' ').replace('\n', ' ');
      System.out.println(e.code() + "\t" + e.name() + "\t" + (ex instanceof RetriableException) + "\t" + message);
    }
  }
}
