# The buffering proxy in front of the API (docker/nginx.conf): Debian's nginx on the same
# base image as the API, as a non-root user.
FROM python:3.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx-light \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/wallet-proxy && chown www-data /var/lib/wallet-proxy
COPY docker/nginx.conf /etc/nginx/wallet.conf
RUN sed -i 's|@LISTEN@|8000|; s|@UPSTREAM@|api:8000|; s|@TEMP@|/var/lib/wallet-proxy|g' /etc/nginx/wallet.conf
USER www-data
EXPOSE 8000
CMD ["nginx", "-c", "/etc/nginx/wallet.conf", "-g", "daemon off;"]
