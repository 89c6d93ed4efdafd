"""The second factor: authenticator codes and recovery codes (``authenticator``), their forms and pages."""
