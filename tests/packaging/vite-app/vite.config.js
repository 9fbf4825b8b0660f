// Relative asset URLs, so the tests can serve the build under any path of the service's origin.
export default { base: './', build: { outDir: 'dist', emptyOutDir: true } };
