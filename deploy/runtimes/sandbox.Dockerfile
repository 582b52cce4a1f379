# The part every runtime image shares, added on top of a language's own image: the
# in-sandbox supervisor runbox-run, the unprivileged sandbox user (uid 1000) and its work
# folder. scripts/build-images.sh builds it with PACKAGES_IMAGE = the language's image.
ARG RUNNER_IMAGE=runbox/runner:latest
ARG PACKAGES_IMAGE
FROM ${RUNNER_IMAGE} AS runner

FROM ${PACKAGES_IMAGE}
COPY --from=runner /usr/local/bin/runbox-run /usr/local/bin/runbox-run
RUN useradd --uid 1000 --user-group --no-create-home --home-dir /work runner \
 && mkdir -p /work && chown runner:runner /work
WORKDIR /work
USER 1000:1000
