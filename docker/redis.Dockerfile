# The shared rate-limit store for the API's workers (WALLET_RATE_LIMIT_STORAGE): Debian's
# redis-server on the same base image as the API. Limits only: nothing is persisted.
FROM python:3.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/*
USER redis
EXPOSE 6379
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no"]
