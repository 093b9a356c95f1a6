using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Rtmfp.Engine.Tests")]
