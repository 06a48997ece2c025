DOCS = [
("forum-tomato-leaves", "https://garden.example.org/forum/yellow-tomato-leaves-4471",
"""Yellow leaves at the bottom of my tomato plants

Posted by first_garden:
The lower leaves on my tomato plants are turning yellow and then brown, starting from the bottom. The top of the plants looks healthy and there are green tomatoes on them. It's my first year growing vegetables. Should I be worried?

Reply from old_allotment:
A few yellow leaves at the bottom are normal in mid-summer. The plant is shading them out, so it lets them die and moves the nutrients to the new growth. You can simply pick them off.

Reply from soil_first:
If it is spreading quickly, though, look at the leaves closely. Brown spots with rings in them, a bit like a target, usually mean early blight. It is a fungus that lives in the soil and splashes up onto the lower leaves when you water. Therefore water the soil and not the leaves, and put a layer of straw around the stems so the soil doesn't splash.

Reply from first_garden:
No rings, just plain yellow. But I have been watering every evening because it has been so hot.

Reply from old_allotment:
That might be part of it. Tomatoes in the ground don't need water every day unless they are in pots. Too much water washes nitrogen out of the soil, and as a result the older leaves go pale. Water deeply twice a week instead, and give them some tomato feed once the first fruits appear.

Reply from first_garden:
Thanks, I'll cut back on watering. I didn't know that plants could get too much water."""),

("forum-commute-ebike", "https://forum.example.com/t/is-an-ebike-worth-it-for-a-15km-commute/30550",
"""Is an e-bike worth it for a 15 km commute?

Posted by tired_of_traffic:
I drive 15 km each way to work and spend 35 to 50 minutes in traffic. I'm thinking about an e-bike but they cost 2,500 to 3,500 here. Has anyone switched? Is it realistic in winter?

Reply from pedal_assist:
I switched two years ago for a 17 km commute. It takes me 38 minutes every single day, because traffic doesn't matter on the bike path. That predictability is the part I like most. I arrive a little warm but not sweaty, since the motor does the hard work on the hills.

Reply from numbers_nerd:
Do the maths on the car costs. Fuel, parking and wear for 30 km a day add up to roughly 2,000 a year for many people, so the bike can pay for itself in under two years. However, if you keep the car anyway for weekends, the insurance and tax don't go away.

Reply from tired_of_traffic:
We would keep one car for the family, so I'd really only save fuel and parking.

Reply from winter_rider:
Winter is fine with the right gear. Good lights, mudguards and studded tyres if you get ice. Batteries lose range in the cold, therefore plan for about 30 percent less. I charge mine at the office on cold days.

Reply from pedal_assist:
One more thing: buy a good lock and insure the bike. E-bikes are stolen often because they are easy to sell. Many workplaces have secure bike rooms, so ask yours."""),

("forum-language-learning", "https://forum.example.com/t/stuck-at-intermediate-spanish/12802",
"""Stuck at intermediate level in Spanish

Posted by plateau_pablo:
I've studied Spanish for three years with apps and a weekly class. I can read news articles, but I freeze when someone talks to me at normal speed. It feels like I'm not improving anymore. Has anyone broken through this?

Reply from lingua_lena:
This is very common. Apps and classes train reading and slow speech, so your listening is behind your reading. The fix is a lot of listening to real speech. Podcasts for learners are a good bridge, then move on to normal podcasts and TV series with Spanish subtitles.

Reply from tutor_tomas (Spanish teacher):
Also speak more, even if it feels uncomfortable. Many intermediate learners avoid speaking because they are afraid of mistakes. However, you only get faster at building sentences by building a lot of them. Two 30-minute conversations a week with a tutor or exchange partner make a big difference after a couple of months.

Reply from plateau_pablo:
I do avoid speaking. In class I mostly listen to the others.

Reply from lingua_lena:
Try shadowing as well: play a short clip, pause, and repeat it out loud copying the rhythm. It feels silly, but it trains your mouth and your ear at the same time. Therefore it helps both speaking and listening.

Reply from plateau_pablo (two months later):
Coming back to say thanks. I now do three conversation sessions a week and listen to a podcast on my commute. I still miss things, but I no longer panic when someone speaks fast."""),

("encyclopedia-honeybee", "https://www.example.org/wiki/Western_honey_bee",
"""Western honey bee

The western honey bee (Apis mellifera) is the most common species of honey bee in the world. It is native to Europe, Africa and western Asia, and humans have spread it to every continent except Antarctica because of its value for honey production and crop pollination.

Colony structure
A colony usually contains one queen, a few hundred male bees called drones, and between twenty and sixty thousand female worker bees. The queen is the only female that lays eggs. Workers are also female, but they do not normally reproduce. Drones do not collect food; their only role is to mate with queens from other colonies.

Division of labour
Young workers stay inside the hive, where they clean cells, feed larvae and build comb from wax. Older workers become foragers. This change happens because hormone levels in the bees shift as they age, and the colony's needs can speed it up or slow it down.

Communication
Foragers tell other bees where to find food with the waggle dance. The angle of the dance relative to vertical shows the direction of the food relative to the sun, and the length of the waggle run shows the distance.

Honey
Bees make honey from flower nectar. They add enzymes and evaporate water from the nectar by fanning their wings, so the final honey contains less than twenty percent water. Honey does not spoil easily, because bacteria cannot grow in such a sugary, dry and slightly acidic substance.

Decline
Honey bee colonies have suffered heavy losses in many countries since about 2006. The causes include parasitic mites, viruses, pesticides and poor nutrition. However, the total number of managed colonies worldwide has not fallen, since beekeepers replace lost colonies by splitting healthy ones."""),

("encyclopedia-volcano", "https://www.example.org/wiki/Shield_volcano",
"""Shield volcano

A shield volcano is a type of volcano with broad, gentle slopes, so named because its shape resembles a warrior's shield lying on the ground. Shield volcanoes are among the largest volcanoes on Earth. Mauna Loa in Hawaii, the largest active volcano on the planet, rises about 9 kilometres from the sea floor.

Formation
Shield volcanoes are built almost entirely from fluid basalt lava. Basalt contains relatively little silica, and as a result it flows easily and can travel tens of kilometres before it cools and hardens. Layer after layer of these thin flows builds up a wide dome rather than a steep cone.

Eruptions
Eruptions at shield volcanoes are usually effusive rather than explosive. Gas escapes easily from runny lava, therefore pressure does not build up in the way it does in volcanoes with thick, sticky magma. Typical eruptions produce lava fountains and long lava flows. They are rarely deadly, because people can usually walk away from a lava flow. However, lava can destroy roads, farms and houses in its path.

Location
Many shield volcanoes form over hotspots, places where hot material rises from deep inside the mantle. As a tectonic plate moves over a hotspot, a chain of volcanoes forms. The Hawaiian Islands are an example: the oldest islands in the northwest are no longer active, while the youngest island in the southeast still has active volcanoes.

Other examples
Shield volcanoes also exist in Iceland, the Galapagos Islands and on other planets. Olympus Mons on Mars is a shield volcano about 22 kilometres high, nearly three times the height of Mount Everest."""),

("encyclopedia-printing-press", "https://www.example.org/wiki/Printing_press_history",
"""Printing press

The printing press is a machine that presses inked type onto paper or cloth. The movable type printing press developed by Johannes Gutenberg in Mainz around 1440 is considered one of the most important inventions of the second millennium.

Before Gutenberg
Printing itself was not new. Woodblock printing had been used in China since at least the seventh century, and movable type made of ceramic and later metal was used in China and Korea centuries before Gutenberg. However, these systems spread slowly in Europe, and most European books were still copied by hand.

Gutenberg's system
Gutenberg combined several elements into a practical system: metal type cast in a hand-held mould, an oil-based ink that stuck to metal, and a screw press adapted from those used to make wine. Because the type pieces were uniform, they could be arranged into pages, printed, and then reused for the next page.

Effects
The press lowered the cost of books dramatically. A hand-copied Bible could take a scribe more than a year, while a print shop could produce hundreds of copies in the same time. As a result, by 1500 printing presses in Europe had produced more than twenty million volumes.

Cheaper books helped spread literacy and new ideas. Historians link the press to the rapid spread of the Reformation, since pamphlets could be printed and distributed faster than authorities could suppress them. The press also standardised spelling and grammar in many languages, because printers chose one form and repeated it in thousands of copies.

Later developments
Steam-powered presses in the nineteenth century, and later rotary presses, increased output further. Therefore newspapers with large daily circulation became possible."""),

("encyclopedia-coffee", "https://www.example.org/wiki/Coffee_plant",
"""Coffee (plant)

Coffee is a genus of flowering plants whose seeds, called coffee beans, are roasted to make the drink of the same name. Two species account for almost all commercial production: Coffea arabica, known as arabica, and Coffea canephora, known as robusta.

Arabica and robusta
Arabica grows best at high altitudes, usually between 1,000 and 2,000 metres, in cool tropical climates. It is considered to have a finer flavour, and it makes up about sixty percent of world production. Robusta grows at lower altitudes and tolerates heat better. It contains roughly twice as much caffeine as arabica, which makes the plant more resistant to insects, since caffeine is toxic to many of them.

Cultivation
Coffee plants are shrubs that can grow to ten metres tall in the wild, but farmers prune them to about two metres so that the cherries can be picked by hand. A plant takes three to four years to produce its first crop. The fruit, called a cherry, turns red when ripe and usually contains two seeds.

Processing
After harvest, the seeds must be separated from the fruit. In the dry method, cherries are dried in the sun for several weeks and then hulled. In the wet method, the pulp is removed first and the seeds are fermented in water. Wet processing usually produces a cleaner, brighter taste, however it needs a lot of water.

Threats
Coffee leaf rust, a fungal disease, has caused major losses in Central America since 2012. Climate change is also a concern, because rising temperatures are expected to reduce the area suitable for arabica. Therefore breeders are developing varieties that are more resistant to heat and disease."""),

("encyclopedia-lighthouse", "https://www.example.org/wiki/Lighthouse",
"""Lighthouse

A lighthouse is a tower with a bright light at the top, built to help ships navigate at night and warn them of dangerous coasts, reefs and harbour entrances.

History
The most famous early lighthouse was the Pharos of Alexandria, built in the third century BC. It was probably more than 100 metres tall and stood for over a thousand years before earthquakes destroyed it. Early lighthouses burned wood or coal in open fires, and later ones used oil lamps with many wicks.

The Fresnel lens
In 1822 the French physicist Augustin Fresnel designed a new type of lens made of many concentric rings of glass prisms. A normal lens strong enough to focus a lighthouse beam would have been extremely thick and heavy. Fresnel's design bent the light just as well with much less glass, so the lenses could be very large. As a result, lights could be seen more than 30 kilometres away.

Identifying lights
Each lighthouse has its own pattern of flashes, called its characteristic, such as two white flashes every ten seconds. Sailors compare the pattern with their charts, therefore they can tell which lighthouse they are looking at even in the dark.

Automation
For centuries, lighthouse keepers lived at the stations, often with their families, to keep the lamps burning and the lenses clean. During the twentieth century most lights were automated, because electric lamps and timers no longer needed constant attention. Today very few lighthouses have resident keepers.

Modern role
Satellite navigation has reduced the importance of lighthouses. However, many countries still maintain them, since electronic systems can fail and a light is easy to understand for any sailor."""),

("encyclopedia-ramen", "https://www.example.org/wiki/Ramen",
"""Ramen

Ramen is a Japanese noodle soup consisting of wheat noodles served in a meat or fish broth, often flavoured with soy sauce or miso, and topped with ingredients such as sliced pork, boiled egg, seaweed and green onions.

Origin
Ramen came to Japan from China. Chinese immigrants in port cities such as Yokohama sold wheat noodle soups in the late nineteenth and early twentieth centuries. The dish became widely popular after the Second World War, partly because cheap American wheat flour was imported into Japan during the food shortages of that period.

The noodles
Ramen noodles are made with kansui, an alkaline mineral water. The alkali changes the proteins in the wheat, and as a result the noodles become firm, springy and slightly yellow. Noodles made without it would be softer and more like ordinary pasta.

Regional styles
Japan has many regional styles. Sapporo is known for miso ramen, which suits the city's cold winters. Hakata in Fukuoka is famous for tonkotsu ramen, made with a cloudy broth of pork bones boiled for many hours. Tokyo-style ramen usually has a clear soy sauce broth with curly noodles.

Instant ramen
Instant noodles were invented by Momofuku Ando in 1958. He fried cooked noodles in oil, which dried them out and made them easy to store, so they could be prepared simply by adding hot water. More than one hundred billion servings of instant noodles are now eaten worldwide each year.

However, many ramen fans consider instant noodles a different dish altogether, since fresh noodles and a long-simmered broth are at the heart of restaurant ramen."""),

("recipe-lentil-soup", "https://recipes.example.com/red-lentil-soup",
"""Easy Red Lentil Soup

This soup is ready in about thirty minutes and costs very little to make. Red lentils cook much faster than green or brown ones, because they are split and have no skin. As they cook they fall apart, so the soup becomes thick and creamy without any cream.

Serves 4

Ingredients
- 1 tablespoon olive oil
- 1 onion, chopped
- 2 carrots, diced
- 2 cloves of garlic, crushed
- 1 teaspoon ground cumin
- 1/2 teaspoon smoked paprika
- 250 g red lentils, rinsed
- 1 tin (400 g) chopped tomatoes
- 1.2 litres vegetable stock
- juice of half a lemon
- salt and pepper

Method
1. Heat the oil in a large pot and cook the onion and carrots over medium heat for about eight minutes, until the onion is soft.
2. Add the garlic, cumin and paprika and stir for one minute. Frying the spices briefly brings out their flavour, since many of the aroma compounds dissolve in oil.
3. Add the lentils, tomatoes and stock. Bring to the boil, then turn down the heat and simmer for 20 minutes, stirring now and then so the lentils do not stick to the bottom.
4. Blend half of the soup if you like a smoother texture, then stir it back in.
5. Add the lemon juice and season with salt and pepper.

Tips
The soup thickens as it cools, therefore add a little water when you reheat it. It keeps for four days in the fridge and freezes well. Do not add salt to the lentils at the start, however, because salty stock can make some lentils take longer to soften."""),

("recipe-banana-bread", "https://recipes.example.com/one-bowl-banana-bread",
"""One-Bowl Banana Bread

This is the recipe for the brown bananas at the back of the fruit bowl. The riper the bananas, the better the bread, because as bananas ripen their starch turns into sugar and they become sweeter and softer.

Makes one loaf (about 10 slices)

Ingredients
- 3 very ripe bananas
- 75 g melted butter
- 100 g brown sugar
- 1 egg
- 1 teaspoon vanilla extract
- 1 teaspoon baking soda
- a pinch of salt
- 190 g plain flour
- optional: 60 g chopped walnuts or chocolate chips

Method
1. Heat the oven to 175 degrees Celsius and line a loaf tin with baking paper.
2. Mash the bananas with a fork in a large bowl. A few lumps are fine.
3. Stir in the melted butter, then the sugar, egg and vanilla.
4. Sprinkle the baking soda and salt over the mixture and stir well.
5. Add the flour and stir only until no dry flour is visible. Mixing too much develops the gluten in the flour, and as a result the bread becomes tough and chewy instead of tender.
6. Fold in the nuts or chocolate, pour the batter into the tin and bake for 55 to 65 minutes.

The bread is done when a skewer pushed into the centre comes out clean. If the top browns too quickly, cover it loosely with foil.

Let it cool in the tin for ten minutes before turning it out. Banana bread tastes even better the next day, since the moisture spreads evenly through the loaf. However, it rarely lasts that long in most households."""),

("recipe-tomato-sauce", "https://recipes.example.com/simple-tomato-sauce",
"""A Simple Tomato Sauce for Pasta

You need only four ingredients for a tomato sauce that tastes better than most sauces from a jar: good tinned tomatoes, butter, an onion and salt. This method is popular with home cooks because it needs almost no chopping and very little attention.

Ingredients (for 500 g of pasta)
- 1 tin (800 g) whole peeled tomatoes
- 70 g butter
- 1 onion, peeled and cut in half
- salt

Method
1. Put the tomatoes, butter and onion halves in a medium pan.
2. Bring to a gentle simmer and cook uncovered for 45 minutes. Stir occasionally and crush the tomatoes against the side of the pan with a wooden spoon.
3. Remove the onion, season with salt and serve over pasta.

Why it works
The butter rounds off the acidity of the tomatoes and gives the sauce a silky texture. The onion adds sweetness without making the sauce taste of onion, since it is removed at the end. Cooking the sauce uncovered lets water evaporate, therefore the flavour becomes more concentrated.

Choosing tomatoes
Whole tinned tomatoes are usually better than chopped ones. Chopped tomatoes are often treated with calcium chloride so the pieces stay firm, and as a result they do not break down into a smooth sauce. Taste a few brands; the differences are bigger than you might expect.

Variations
Add a pinch of chilli flakes for heat, or a few basil leaves at the end. However, try the basic version first, because its simplicity is the whole point."""),

("recipe-overnight-oats", "https://recipes.example.com/overnight-oats-basic",
"""Overnight Oats: A Five-Minute Breakfast

Overnight oats are rolled oats soaked in milk or yogurt in the fridge overnight. By the morning, the oats have absorbed the liquid and become soft and creamy, so there is no cooking at all. They are popular with people who have little time in the morning, because you can make several jars at once on Sunday evening.

Basic recipe (one jar)
- 50 g rolled oats
- 120 ml milk or a plant-based drink
- 60 g plain yogurt
- 1 teaspoon chia seeds (optional)
- 1 teaspoon honey or maple syrup
- a pinch of salt

Stir everything together in a jar, close the lid and leave it in the fridge for at least six hours.

Why rolled oats?
Rolled oats are steamed and pressed flat, which makes them thin enough to soften without heat. Steel-cut oats are much thicker, therefore they stay hard and chewy even after a whole night. Instant oats, on the other hand, turn mushy.

Chia seeds absorb about ten times their weight in liquid, and as a result they make the mixture thicker. Leave them out if you prefer a looser texture.

Toppings
Add fruit in the morning rather than the evening, since berries and sliced banana become soggy and brown overnight. Good combinations include apple and cinnamon, peanut butter and banana, or mango and coconut.

The oats keep for up to three days in the fridge. However, the texture is best on the first or second day."""),

("science-why-sky-blue", "https://science.example.edu/explainers/why-is-the-sky-blue",
"""Why Is the Sky Blue?

Sunlight looks white, but it is a mixture of all the colours of the rainbow. Each colour has a different wavelength: red light has the longest wavelength we can see, and violet and blue have the shortest.

When sunlight enters the atmosphere, it hits molecules of nitrogen and oxygen. These molecules are much smaller than the wavelength of light, and they scatter some of the light in all directions. This process is called Rayleigh scattering, after the British physicist Lord Rayleigh, who described it in the 1870s.

Short wavelengths are scattered far more strongly than long ones. Blue light is scattered about five times more than red light. Therefore, when you look at any part of the sky away from the sun, you see blue light that has been scattered towards you from all over the atmosphere.

Why not violet?
Violet light is scattered even more than blue. However, the sky does not look violet for several reasons. The sun emits less violet than blue light, some violet is absorbed high in the atmosphere, and our eyes are much less sensitive to violet. As a result the sky looks blue to us.

Red sunsets
At sunrise and sunset, sunlight travels through much more air before it reaches your eyes, because the sun is low on the horizon. Along this long path, most of the blue light is scattered away to the sides. The light that reaches you directly is mostly orange and red, so the sun and the clouds near it glow in warm colours.

On the Moon, which has no atmosphere, there is nothing to scatter the light. Therefore the sky there is black even during the day."""),
]
