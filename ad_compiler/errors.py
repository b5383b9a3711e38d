"""Errors raised to users.

Every failure to differentiate or compile surfaces as a :class:`DifferentiationError` that names
the construct, the user's function and the ``file:line`` it came from, so nobody has to read a
traceback from inside the compiler to find out what to change in their own code.
"""


class DifferentiationError(Exception):
    """A construct in the user's function cannot be differentiated or compiled."""

    def __init__(self, message, *, construct=None, function=None, filename=None, line=None):
        self.construct = construct
        self.function = function
        self.filename = filename
        self.line = line
        where = ""
        if function is not None:
            where = f" in function '{function}'"
        if filename is not None:
            where += f" at {filename}:{line if line is not None else '?'}"
        super().__init__(f"{message}{where}")

    def at(self, *, construct, function, filename, line) -> "DifferentiationError":
        """This error naming the place given, when it names none (one raised by a rule of
        the table, which knows the primitive but not where the user called it)."""
        if self.filename is not None:
            return self
        return DifferentiationError(str(self), construct=self.construct or construct,
                                    function=function, filename=filename, line=line)


class CompilationError(DifferentiationError):
    """The generated code could not be compiled by the chosen backend."""
