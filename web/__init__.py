"""The shell a user starts: the HTTP application (routes, middleware, the GraphQL front end of
the read compiler, static files) and the command line. Imports flow one way from here: web →
schema → resolvers → parkgrid (the kernel) → geo."""
